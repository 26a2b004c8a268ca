using System.Buffers.Binary;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using LstmStreams.Core.Model;

namespace LstmStreams.Persistence;

/// <summary>
/// Writes <see cref="SequenceSnapshot"/>s in a small versioned binary format, little-endian:
/// <c>"LSS" version(1) cell(1) input(4) layers(4) hidden×layers(4 each) count(8) hasT(1) lastT(8) n(4) values(4n)</c>.
/// Version 2 (manifest v2), written only for an LSTM with a projection, adds <c>proj(4)</c> after the hidden
/// sizes; a shape without projection is still written as version 1, byte for byte as before.
/// A later format gets a new version byte; a reader refuses versions it does not know, naming them.
/// </summary>
public sealed class SequenceSnapshotSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>The manifest of format version 1.</summary>
    public const string ManifestV1 = "lstm-streams.sequence-snapshot.v1";

    /// <summary>The manifest of format version 2 (a shape with an LSTM projection).</summary>
    public const string ManifestV2 = "lstm-streams.sequence-snapshot.v2";
    private const byte Version = 1;
    private const byte ProjectedVersion = 2;

    /// <inheritdoc />
    public override int Identifier => 7_431_001;

    /// <inheritdoc />
    public override string Manifest(object o) => o is SequenceSnapshot snapshot
        ? snapshot.Shape.ProjectionSize > 0 ? ManifestV2 : ManifestV1
        : throw new ArgumentException($"{nameof(SequenceSnapshotSerializer)} writes only {nameof(SequenceSnapshot)}, not {o.GetType()}.", nameof(o));

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var snapshot = obj as SequenceSnapshot ?? throw new ArgumentException($"not a {nameof(SequenceSnapshot)}: {obj.GetType()}.", nameof(obj));
        return Write(snapshot);
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest != ManifestV1 && manifest != ManifestV2)
            throw new SerializationException($"stored sequence state has format '{manifest}', which this version of LstmStreams cannot read (it reads '{ManifestV1}' and '{ManifestV2}').");
        return Read(bytes);
    }

    /// <summary>The bytes of <paramref name="snapshot"/>.</summary>
    public static byte[] Write(SequenceSnapshot snapshot)
    {
        var shape = snapshot.Shape;
        int layers = shape.HiddenSizes.Count;
        bool projected = shape.ProjectionSize > 0;
        var bytes = new byte[4 + 1 + 4 + 4 + 4 * layers + (projected ? 4 : 0) + 8 + 1 + 8 + 4 + 4 * snapshot.Values.Length];
        var span = bytes.AsSpan();
        "LSS"u8.CopyTo(span);
        span[3] = projected ? ProjectedVersion : Version;
        span[4] = shape.Cell == CellKind.Lstm ? (byte)0 : (byte)1;
        int at = 5;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], shape.InputSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 4)..], layers);
        at += 8;
        foreach (int h in shape.HiddenSizes)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], h);
            at += 4;
        }

        if (projected)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], shape.ProjectionSize);
            at += 4;
        }

        BinaryPrimitives.WriteInt64LittleEndian(span[at..], snapshot.Count);
        span[at + 8] = snapshot.LastT.HasValue ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(span[(at + 9)..], snapshot.LastT ?? 0);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 17)..], snapshot.Values.Length);
        at += 21;
        foreach (float v in snapshot.Values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[at..], v);
            at += 4;
        }

        return bytes;
    }

    /// <summary>Reads what <see cref="Write"/> wrote; a damaged or foreign blob is refused with the reason.</summary>
    public static SequenceSnapshot Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 9 || !bytes[..3].SequenceEqual("LSS"u8))
            throw new SerializationException("stored sequence state is not an LstmStreams snapshot (bad magic bytes).");
        if (bytes[3] != Version && bytes[3] != ProjectedVersion)
            throw new SerializationException($"stored sequence state has format version {bytes[3]}; this version of LstmStreams reads versions {Version} and {ProjectedVersion}.");
        var cell = bytes[4] switch
        {
            0 => CellKind.Lstm,
            1 => CellKind.Gru,
            var other => throw new SerializationException($"stored sequence state names an unknown cell kind {other}."),
        };
        try
        {
            int at = 5;
            int input = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
            int layers = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 4)..]);
            at += 8;
            if (layers < 1 || layers > 1024 || (long)layers * 4 > bytes.Length)
                throw new SerializationException($"stored sequence state claims {layers} layers.");
            var hidden = new int[layers];
            for (int k = 0; k < layers; k++, at += 4) hidden[k] = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
            int projection = 0;
            if (bytes[3] == ProjectedVersion)
            {
                projection = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
                at += 4;
                if (projection < 1)
                    throw new SerializationException($"stored sequence state claims projection size {projection}.");
            }
            long count = BinaryPrimitives.ReadInt64LittleEndian(bytes[at..]);
            long? lastT = bytes[at + 8] == 1 ? BinaryPrimitives.ReadInt64LittleEndian(bytes[(at + 9)..]) : null;
            int n = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 17)..]);
            at += 21;
            if (n < 0 || (long)n * 4 != bytes.Length - at)
                throw new SerializationException($"stored sequence state claims {n} values but holds {(bytes.Length - at) / 4}.");
            var values = new float[n];
            for (int i = 0; i < n; i++, at += 4) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[at..]);
            return new SequenceSnapshot(new ModelShape(cell, input, hidden, projection), values, count, lastT);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new SerializationException("stored sequence state is truncated.");
        }
    }
}
