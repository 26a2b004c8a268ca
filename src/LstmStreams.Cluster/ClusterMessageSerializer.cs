using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Serialization;
using LstmStreams.Pipeline;

namespace LstmStreams.Cluster;

/// <summary>
/// Writes the messages that cross nodes (<see cref="IClusterMessage"/>) in a compact binary form: strings as
/// length-prefixed UTF-8, float arrays as their raw little-endian bytes (exact: a float crosses unchanged), actor
/// references as their serialized paths. Akka's default JSON serializer would write every float as text.
/// </summary>
public sealed class ClusterMessageSerializer : SerializerWithStringManifest
{
    private const string RouteManifest = "R";
    private const string AnswersManifest = "A";
    private const string ConfirmManifest = "C";
    private const string ReleasedManifest = "D";
    private const string ReceivedManifest = "E";

    /// <summary>Created by Akka from its configuration.</summary>
    public ClusterMessageSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => 7_461_001;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        RouteObservations => RouteManifest,
        Answers => AnswersManifest,
        ConfirmAnswers => ConfirmManifest,
        Released => ReleasedManifest,
        RouteReceived => ReceivedManifest,
        _ => throw new ArgumentException($"{o.GetType()} is not a cluster message of LstmStreams.", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            switch (obj)
            {
                case RouteObservations route:
                    writer.Write(route.Shard);
                    writer.Write(route.Number);
                    writer.Write(Serialization.SerializedActorPath(route.Ingester));
                    writer.Write(route.Observations.Length);
                    foreach (var observation in route.Observations) Write(writer, observation);
                    break;
                case Answers answers:
                    writer.Write(answers.Batch);
                    writer.Write(answers.Predictions.Length);
                    foreach (var prediction in answers.Predictions)
                    {
                        writer.Write(prediction.SequenceId);
                        writer.Write(prediction.T);
                        writer.Write(prediction.Position);
                        WriteFloats(writer, prediction.Y);
                    }

                    writer.Write(answers.Errors.Length);
                    foreach (var error in answers.Errors)
                    {
                        writer.Write(error.Position);
                        writer.Write(error.SequenceId is not null);
                        if (error.SequenceId is not null) writer.Write(error.SequenceId);
                        writer.Write(error.Reason);
                        writer.Write((byte)error.Kind);
                    }

                    break;
                case ConfirmAnswers confirm:
                    writer.Write(confirm.Batch);
                    break;
                case RouteReceived received:
                    writer.Write(received.Shard);
                    writer.Write(received.Number);
                    writer.Write(received.Accepted);
                    break;
                case Released released:
                    writer.Write(released.SequenceIds.Length);
                    for (int i = 0; i < released.SequenceIds.Length; i++)
                    {
                        writer.Write(released.SequenceIds[i]);
                        writer.Write(released.Ts[i]);
                    }

                    break;
                default:
                    throw new ArgumentException($"{obj.GetType()} is not a cluster message of LstmStreams.", nameof(obj));
            }
        }

        return stream.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes), System.Text.Encoding.UTF8);
        switch (manifest)
        {
            case RouteManifest:
            {
                int shard = reader.ReadInt32();
                long number = reader.ReadInt64();
                var ingester = system.Provider.ResolveActorRef(reader.ReadString());
                var observations = new Observation[reader.ReadInt32()];
                for (int i = 0; i < observations.Length; i++) observations[i] = ReadObservation(reader);
                return new RouteObservations(shard, number, ingester, observations);
            }
            case AnswersManifest:
            {
                long batch = reader.ReadInt64();
                var predictions = new Prediction[reader.ReadInt32()];
                for (int i = 0; i < predictions.Length; i++)
                {
                    string id = reader.ReadString();
                    long t = reader.ReadInt64();
                    long position = reader.ReadInt64();
                    predictions[i] = new Prediction(id, t, ReadFloats(reader), position);
                }

                var errors = new ObservationError[reader.ReadInt32()];
                for (int i = 0; i < errors.Length; i++)
                {
                    long position = reader.ReadInt64();
                    string? id = reader.ReadBoolean() ? reader.ReadString() : null;
                    string reason = reader.ReadString();
                    errors[i] = new ObservationError(position, id, reason, (ObservationErrorKind)reader.ReadByte());
                }

                return new Answers(batch, predictions, errors);
            }
            case ConfirmManifest:
                return new ConfirmAnswers(reader.ReadInt64());
            case ReceivedManifest:
                return new RouteReceived(reader.ReadInt32(), reader.ReadInt64(), reader.ReadBoolean());
            case ReleasedManifest:
            {
                int count = reader.ReadInt32();
                var ids = new string[count];
                var ts = new long[count];
                for (int i = 0; i < count; i++)
                {
                    ids[i] = reader.ReadString();
                    ts[i] = reader.ReadInt64();
                }

                return new Released(ids, ts);
            }
            default:
                throw new System.Runtime.Serialization.SerializationException($"Unknown LstmStreams cluster message manifest '{manifest}'.");
        }
    }

    private static void Write(BinaryWriter writer, Observation observation)
    {
        writer.Write(observation.SequenceId);
        byte flags = (byte)((observation.T.HasValue ? 1 : 0) | (observation.Reset ? 2 : 0) | (observation.End ? 4 : 0));
        writer.Write(flags);
        if (observation.T is { } t) writer.Write(t);
        writer.Write(observation.Position);
        WriteFloats(writer, observation.Features);
    }

    private static Observation ReadObservation(BinaryReader reader)
    {
        string id = reader.ReadString();
        byte flags = reader.ReadByte();
        long? t = (flags & 1) != 0 ? reader.ReadInt64() : null;
        long position = reader.ReadInt64();
        return new Observation(id, ReadFloats(reader), t, reset: (flags & 2) != 0, end: (flags & 4) != 0, position: position);
    }

    private static void WriteFloats(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] ReadFloats(BinaryReader reader)
    {
        var values = new float[reader.ReadInt32()];
        reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}
