using LstmStreams.Pipeline;
using LstmStreams.Sequences;

namespace LstmStreams.Compute;

/// <summary>
/// Starts loading what admitting and stepping a group of observations will touch, one kind of object per
/// pass: the observations, their ids, the <see cref="LeaseTable"/> slots of the ids' hashes, the open states
/// found there (the first of the id's hash: the ids are compared only when the observation is admitted), and
/// those states' values. A pass only issues loads for the next, so the cache misses of the
/// whole group overlap. Admitted one by one, a group's sequences (scattered over memory, in random order)
/// each cost their misses in full: with 100,000 sequences that was most of the compute stage's thread
/// (measured with perf; <c>AdmissionLookupBenchmarks</c> isolates it). Compute stage thread only.
/// </summary>
internal sealed class GroupPrefetcher
{
    private const int MaxValueLines = 16; // 1 KB of a state: h and c of an LSTM up to H = 128
    private readonly LeaseTable _table;
    private readonly Slot[] _slots;

    // A struct slot, not a SequenceState[]: storing into an object array checks the element's type, which
    // reads the object and waits for exactly the miss the pass is meant to start.
    private struct Slot
    {
        public SequenceState? State;
        public int Hash;
    }

    /// <summary>Prefetches for <paramref name="table"/>, for groups of up to <paramref name="maxGroup"/>.</summary>
    public GroupPrefetcher(LeaseTable table, int maxGroup)
    {
        _table = table;
        _slots = new Slot[maxGroup];
    }

    /// <summary>Issues the loads for <paramref name="group"/> (its first maxGroup observations) and keeps each id's hash.</summary>
    public void Run(ReadOnlySpan<Observation> group)
    {
        int n = Math.Min(group.Length, _slots.Length);
        for (int i = 0; i < n; i++) CacheHint.Load(group[i]);
        for (int i = 0; i < n; i++)
        {
            if (group[i].SequenceId is { } id) CacheHint.Load(id);
        }

        for (int i = 0; i < n; i++)
        {
            int hash = group[i].SequenceId is { } id ? LeaseTable.Hash(id) : 0;
            _slots[i].Hash = hash;
            _table.Hint(hash);
        }

        for (int i = 0; i < n; i++)
        {
            // The candidate, not Find: comparing ids would read the state, the very miss this pass starts.
            var state = group[i].SequenceId is not null ? _table.Candidate(_slots[i].Hash) : null;
            if (state is not null) CacheHint.Load(state);
            _slots[i].State = state;
        }

        for (int i = 0; i < n; i++)
        {
            if (_slots[i].State is { } state) CacheHint.Load(state.Values, MaxValueLines);
            _slots[i].State = null;
        }
    }

    /// <summary>The <see cref="LeaseTable.Hash"/> of observation <paramref name="index"/> of the last group.</summary>
    public int HashOf(int index, Observation observation) =>
        index < _slots.Length ? _slots[index].Hash : LeaseTable.Hash(observation.SequenceId);
}
