using LstmStreams.Cluster;
using LstmStreams.Cluster.Hosting;
using LstmStreams.Persistence;

namespace LstmStreams.Tests.Cluster;

public sealed class SnapshotGateTests
{
    private static readonly ModelShape Shape = new(Core.Model.CellKind.Lstm, 1, [1]);

    private static SequenceSnapshot State(long t) => new(Shape, [t, t], t, t);

    [Fact]
    public void A_state_waits_until_the_batch_with_its_last_prediction_is_confirmed()
    {
        var gate = new SnapshotGate();
        gate.Emitted(t: 1, slot: 0, batch: 1);
        var held = gate.Hold(State(2), 2); // step 2 applied, its prediction not yet emitted
        Assert.Equal(0, held.Batch);
        Assert.Null(gate.TakeWritable(_ => 5));

        Assert.True(gate.Emitted(t: 2, slot: 0, batch: 3));
        Assert.Null(gate.TakeWritable(_ => 2)); // batch 3 not confirmed yet
        Assert.Same(held, gate.TakeWritable(_ => 3));
        Assert.Empty(gate.Waiting);
    }

    [Fact]
    public void The_newest_writable_state_is_written_and_the_older_ones_dropped()
    {
        var gate = new SnapshotGate();
        gate.Emitted(t: 1, slot: 0, batch: 1);
        gate.Hold(State(1), 1);
        gate.Emitted(t: 2, slot: 0, batch: 2);
        var second = gate.Hold(State(2), 2);
        var third = gate.Hold(State(3), 3); // not emitted
        Assert.Same(second, gate.TakeWritable(_ => 2));
        Assert.Equal([third], gate.Waiting);
    }

    [Fact]
    public void At_most_three_states_wait_keeping_the_oldest_and_the_newest()
    {
        var gate = new SnapshotGate();
        var held = Enumerable.Range(1, 5).Select(t => gate.Hold(State(t), t)).ToList();
        Assert.Equal([held[0], held[3], held[4]], gate.Waiting);
    }
}
