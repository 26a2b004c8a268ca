using System.Diagnostics;

namespace LstmStreams.Sequences;

/// <summary>
/// The recurrent state of one sequence: one <c>float[StateSize]</c> in the layout of
/// <see cref="Core.Model.RecurrentModel"/>, the count of observations accepted (the default t), and the
/// steps in flight. Owned by the sequence's actor, which creates it and closes it when it passivates; the
/// compute stage's kernel writes it in place, one step at a time, and may hold a lease on it: while the
/// state is open the stage submits a live sequence's observations itself, without a message to the actor.
/// </summary>
public sealed class SequenceState
{
    private int _inFlight;
    private volatile bool _closing;

    /// <summary>A zero state.</summary>
    public SequenceState(string sequenceId, int stateSize)
    {
        SequenceId = sequenceId;
        Values = new float[stateSize];
        LastActivity = Stopwatch.GetTimestamp();
    }

    /// <summary>The sequence's id.</summary>
    public string SequenceId { get; }

    /// <summary>h and c of every layer; written in place by the kernel.</summary>
    public float[] Values { get; }

    /// <summary>Steps submitted and not yet applied by the compute stage.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The t of the next observation without one: observations accepted so far (reset by end).
    /// Written by whoever submits (the actor, or the stage holding the lease), never both at once.</summary>
    internal long Count { get; set; }

    /// <summary>When an observation was last submitted (Stopwatch ticks).</summary>
    internal long LastActivity { get; set; }

    /// <summary>Whether the owner has closed the state (it is passivating): no new step may start.</summary>
    public bool IsClosing => _closing;

    /// <summary>The batch this state was last put into (compute stage only): at most one step per batch.</summary>
    internal long BatchStamp { get; set; } = -1;

    /// <summary>Assigns the t of an observation and advances the count (an end restarts it).</summary>
    internal long NextT(long? explicitT, bool end)
    {
        long t = explicitT ?? Count;
        Count = end ? 0 : Count + 1;
        LastActivity = Stopwatch.GetTimestamp();
        return t;
    }

    /// <summary>The actor submits a step (it never does so once closing).</summary>
    internal void StepSubmitted() => Interlocked.Increment(ref _inFlight);

    /// <summary>The stage's lease: start a step unless the owner is closing the state.</summary>
    internal bool TryAcquire()
    {
        if (_closing) return false;
        Interlocked.Increment(ref _inFlight); // a full fence: pairs with the one in TryClose
        if (!_closing) return true;
        StepApplied();
        return false;
    }

    /// <summary>The owner closes the state; true once no step is in flight (then none can start).</summary>
    internal bool TryClose()
    {
        _closing = true;
        Interlocked.MemoryBarrier(); // pairs with TryAcquire's increment: one of the two sees the other
        return Volatile.Read(ref _inFlight) == 0;
    }

    internal void StepApplied()
    {
        int left = Interlocked.Decrement(ref _inFlight);
        Debug.Assert(left >= 0, "a step was applied that was never submitted");
    }
}
