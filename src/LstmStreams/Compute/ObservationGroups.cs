using System.Collections.Concurrent;
using LstmStreams.Pipeline;

namespace LstmStreams.Compute;

/// <summary>
/// The lists that carry groups of observations to the compute stage, reused: the flow's grouping rents one
/// per group (upstream thread) and the stage gives it back once it has admitted the group. At a steady rate
/// the groups are small (a few observations) and a new list per group was the largest allocation per
/// observation. At most <see cref="MaxFree"/> lists are kept.
/// </summary>
internal sealed class ObservationGroups
{
    private const int MaxFree = 64;
    private readonly ConcurrentQueue<List<Observation>> _free = new();
    private int _freeCount;

    /// <summary>An empty list (reused when one is free).</summary>
    public List<Observation> Rent()
    {
        if (!_free.TryDequeue(out var list)) return new List<Observation>(16);
        Interlocked.Decrement(ref _freeCount);
        return list;
    }

    /// <summary>Takes back a list nobody uses any more.</summary>
    public void Return(List<Observation> list)
    {
        if (Volatile.Read(ref _freeCount) >= MaxFree) return;
        list.Clear();
        Interlocked.Increment(ref _freeCount);
        _free.Enqueue(list);
    }
}
