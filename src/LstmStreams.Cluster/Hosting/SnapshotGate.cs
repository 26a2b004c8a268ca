using LstmStreams.Persistence;

namespace LstmStreams.Cluster.Hosting;

/// <summary>
/// One sequence's side of the release protocol, kept by the <see cref="NodeHost"/>: the latest prediction emitted
/// for it (its t, and the answer batch that carried it to which ingester), and the states the engine asked to write
/// that must wait until that batch is confirmed. A state may be written once the ingester has the predictions of
/// every step it includes; until then it is held (at most <see cref="MaxHeld"/>: the oldest and the newest are kept,
/// so one of them is always on its way to being written).
/// </summary>
internal sealed class SnapshotGate
{
    private const int MaxHeld = 3;

    public int Slot { get; private set; } = -1;

    public long EmittedT { get; private set; } = long.MinValue;

    public long EmittedBatch { get; private set; }

    public List<Held> Waiting { get; } = new();

    /// <summary>A prediction of this sequence left in <paramref name="batch"/> for <paramref name="slot"/>; returns
    /// whether a held state now knows the batch it waits for.</summary>
    public bool Emitted(long t, int slot, long batch)
    {
        Slot = slot;
        EmittedT = t;
        EmittedBatch = batch;
        bool learned = false;
        foreach (var held in Waiting)
        {
            if (held.Batch != 0 || held.T > t) continue;
            held.Slot = slot;
            held.Batch = batch;
            learned = true;
        }

        return learned;
    }

    /// <summary>Holds a save (or, with a null snapshot, a delete) of the state up to <paramref name="t"/>.</summary>
    public Held Hold(SequenceSnapshot? snapshot, long t)
    {
        var held = new Held(snapshot, t);
        if (EmittedT >= t && Slot >= 0)
        {
            held.Slot = Slot;
            held.Batch = EmittedBatch;
        }

        if (Waiting.Count == MaxHeld) Waiting.RemoveAt(1);
        Waiting.Add(held);
        return held;
    }

    /// <summary>The newest held state whose batch is confirmed, removed with every older one; null if none.</summary>
    public Held? TakeWritable(Func<int, long> confirmed)
    {
        for (int i = Waiting.Count - 1; i >= 0; i--)
        {
            var held = Waiting[i];
            if (held.Batch == 0 || confirmed(held.Slot) < held.Batch) continue;
            Waiting.RemoveRange(0, i + 1);
            return held;
        }

        return null;
    }

    /// <summary>A state to write (or, without a snapshot, a delete), up to t.</summary>
    internal sealed class Held(SequenceSnapshot? snapshot, long t)
    {
        public SequenceSnapshot? Snapshot { get; } = snapshot;

        public long T { get; } = t;

        /// <summary>The ingester slot whose confirmation it waits for; -1 while unknown.</summary>
        public int Slot { get; set; } = -1;

        /// <summary>The answer batch that carried the prediction of step t; 0 while not yet emitted.</summary>
        public long Batch { get; set; }
    }
}
