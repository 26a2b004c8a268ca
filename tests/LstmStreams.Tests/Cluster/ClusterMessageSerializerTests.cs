using Akka.Actor;
using Akka.TestKit.Xunit2;
using LstmStreams.Cluster;
using LstmStreams.Pipeline;

namespace LstmStreams.Tests.Cluster;

public sealed class ClusterMessageSerializerTests : TestKit
{
    private ClusterMessageSerializer Serializer => new((ExtendedActorSystem)Sys);

    private T RoundTrip<T>(T message) where T : class
    {
        var serializer = Serializer;
        return (T)serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
    }

    [Fact]
    public void RouteObservations_round_trips_every_field_and_every_float_bit_for_bit()
    {
        float[] x = [0f, -0f, float.Epsilon, 1e-40f, 3.4028235e38f, -1.17549435e-38f, 0.1f, float.NaN];
        var route = new RouteObservations(17, 1L << 33, TestActor,
        [
            new Observation("sensor/1", x, t: 1_700_000_000_000, reset: true, position: 42),
            new Observation("ß-ü-🙂", [1f], t: null, end: true, position: (1L << 40) - 1),
        ]);

        var back = RoundTrip(route);

        Assert.Equal(17, back.Shard);
        Assert.Equal(1L << 33, back.Number);
        Assert.Equal(TestActor, back.Ingester);
        Assert.Equal(2, back.Observations.Length);
        var (a, b) = (back.Observations[0], back.Observations[1]);
        Assert.Equal(("sensor/1", 1_700_000_000_000L, true, false, 42L), (a.SequenceId, a.T!.Value, a.Reset, a.End, a.Position));
        Assert.Equal(x.Select(BitConverter.SingleToInt32Bits), a.Features.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(("ß-ü-🙂", (long?)null, false, true, (1L << 40) - 1), (b.SequenceId, b.T, b.Reset, b.End, b.Position));
        Assert.Equal([1f], b.Features);
    }

    [Fact]
    public void Answers_Confirm_and_Released_round_trip()
    {
        var answers = new Answers(9, [new Prediction("s", 5, [0.25f, -1e-30f], 77)],
            [new ObservationError(3, null, "bad", ObservationErrorKind.Invalid), new ObservationError(4, "s", "dup", ObservationErrorKind.Duplicate)]);
        var back = RoundTrip(answers);
        Assert.Equal(9, back.Batch);
        Assert.Equal(("s", 5L, 77L), (back.Predictions[0].SequenceId, back.Predictions[0].T, back.Predictions[0].Position));
        Assert.Equal([0.25f, -1e-30f], back.Predictions[0].Y);
        Assert.Equal(answers.Errors, back.Errors);

        Assert.Equal(12, RoundTrip(new ConfirmAnswers(12)).Batch);
        Assert.Equal(new RouteReceived(3, 99, false), RoundTrip(new RouteReceived(3, 99, false)));
        var released = RoundTrip(new Released(["a", "b"], [1, long.MaxValue]));
        Assert.Equal(["a", "b"], released.SequenceIds);
        Assert.Equal([1, long.MaxValue], released.Ts);
    }

    [Fact]
    public void A_routed_observation_costs_its_floats_its_id_and_a_few_bytes()
    {
        var observations = Enumerable.Range(0, 100).Select(i => new Observation($"sensor/{i:D4}", new float[8], t: i, position: i)).ToArray();
        int bytes = Serializer.ToBinary(new RouteObservations(0, 1, TestActor, observations)).Length;
        // 8 floats (32) + length (4) + id (1 + 11) + flags (1) + t (8) + position (8) = 65 a observation, plus the header.
        Assert.InRange(bytes / 100.0, 65, 66.5);
    }
}
