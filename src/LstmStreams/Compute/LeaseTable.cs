using System.Diagnostics;
using System.Runtime.CompilerServices;
using LstmStreams.Sequences;

namespace LstmStreams.Compute;

/// <summary>
/// The open states the compute stage holds a lease on, by sequence id: an open-addressing hash table
/// (linear probing, power-of-two capacity, at most 3/4 full) of the states themselves, keyed by their own
/// <see cref="SequenceState.SequenceId"/> with the hash kept beside. Why not a <c>Dictionary</c>: admission
/// looks up every observation of a group in a random order over up to millions of sequences, and each
/// lookup is cache misses. Here the hash is computed apart (<see cref="Hash"/>), the slot it lands in can be
/// prefetched (<see cref="Hint"/>) for the whole group before any lookup, and a slot is 16 bytes. Compute
/// stage thread only.
/// </summary>
internal sealed class LeaseTable
{
    private Slot[] _slots = new Slot[1024];
    private int _mask = 1023;

    private struct Slot
    {
        public SequenceState? State;
        public int Hash;
    }

    /// <summary>Open states in the table.</summary>
    public int Count { get; private set; }

    /// <summary>The hash of a sequence id (string's randomized hash: ids chosen to collide cannot degrade the table).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Hash(string sequenceId) => sequenceId.GetHashCode();

    /// <summary>Starts loading the slot where a lookup of <paramref name="hash"/> begins.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Hint(int hash) => CacheHint.Load(ref _slots[hash & _mask]);

    /// <summary>
    /// The first state whose id has <paramref name="hash"/>, without comparing ids (so without reading any
    /// state): most likely the one <see cref="Find"/> will return, to prefetch. Null when none has that hash.
    /// </summary>
    public SequenceState? Candidate(int hash)
    {
        var slots = _slots;
        for (int i = hash & _mask; ; i = (i + 1) & _mask)
        {
            ref var slot = ref slots[i];
            if (slot.State is null || slot.Hash == hash) return slot.State;
        }
    }

    /// <summary>The state of <paramref name="sequenceId"/> (whose hash is <paramref name="hash"/>), or null.</summary>
    public SequenceState? Find(string sequenceId, int hash)
    {
        var slots = _slots;
        for (int i = hash & _mask; ; i = (i + 1) & _mask)
        {
            ref var slot = ref slots[i];
            if (slot.State is not { } state) return null;
            if (slot.Hash == hash && (ReferenceEquals(state.SequenceId, sequenceId) || state.SequenceId == sequenceId)) return state;
        }
    }

    /// <summary>Adds <paramref name="state"/>, or replaces the state of the same sequence.</summary>
    public void Set(SequenceState state)
    {
        if ((Count + 1) * 4 > _slots.Length * 3) Grow();
        int hash = Hash(state.SequenceId);
        for (int i = hash & _mask; ; i = (i + 1) & _mask)
        {
            ref var slot = ref _slots[i];
            if (slot.State is null)
            {
                slot = new Slot { State = state, Hash = hash };
                Count++;
                return;
            }

            if (slot.Hash == hash && slot.State.SequenceId == state.SequenceId)
            {
                slot.State = state;
                return;
            }
        }
    }

    /// <summary>Removes the state of <paramref name="sequenceId"/>, if present.</summary>
    public bool Remove(string sequenceId)
    {
        int hash = Hash(sequenceId);
        for (int i = hash & _mask; ; i = (i + 1) & _mask)
        {
            ref var slot = ref _slots[i];
            if (slot.State is null) return false;
            if (slot.Hash == hash && slot.State.SequenceId == sequenceId)
            {
                RemoveAt(i);
                return true;
            }
        }
    }

    /// <summary>Removes every state <paramref name="remove"/> says to (the periodic sweep of closed states).</summary>
    public void RemoveWhere(Func<SequenceState, bool> remove)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            // RemoveAt may shift a later entry into slot i: look at slot i again before moving on.
            while (_slots[i].State is { } state && remove(state)) RemoveAt(i);
        }
    }

    /// <summary>Every state in the table (in no particular order).</summary>
    public IEnumerable<SequenceState> States()
    {
        foreach (var slot in _slots)
        {
            if (slot.State is { } state) yield return state;
        }
    }

    /// <summary>Empties slot <paramref name="index"/> and shifts later entries of its probe run back, so that
    /// every entry stays reachable from its home slot without tombstones.</summary>
    private void RemoveAt(int index)
    {
        int hole = index;
        for (int i = (index + 1) & _mask; _slots[i].State is not null; i = (i + 1) & _mask)
        {
            int home = _slots[i].Hash & _mask;
            // Move the entry at i into the hole unless its home lies cyclically in (hole, i].
            bool homeBetween = hole <= i ? home > hole && home <= i : home > hole || home <= i;
            if (homeBetween) continue;
            _slots[hole] = _slots[i];
            hole = i;
        }

        _slots[hole] = default;
        Count--;
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Slot[old.Length * 2];
        _mask = _slots.Length - 1;
        Count = 0;
        foreach (var slot in old)
        {
            if (slot.State is { } state) Set(state);
        }

        Debug.Assert(Count * 4 <= _slots.Length * 3);
    }
}
