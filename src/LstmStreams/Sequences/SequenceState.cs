using System.Diagnostics;
using LstmStreams.Pipeline;

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
    private const long NoT = long.MinValue; // "no t": a long? would cost 8 more bytes per sequence, twice
    private int _inFlight;
    private long _lastT = NoT, _appliedT = NoT;
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

    /// <summary>The largest explicit t accepted so far (null: none since the start or the last end). An
    /// observation with an explicit t not above it is a replayed duplicate. Written by whoever submits.</summary>
    internal long? LastT
    {
        get => _lastT == NoT ? null : _lastT;
        set => _lastT = value ?? NoT;
    }

    /// <summary>When an observation was last submitted (Stopwatch ticks).</summary>
    internal long LastActivity { get; set; }

    /// <summary>Why every observation of this sequence is refused (its stored state does not fit the model);
    /// null when it is usable. Set by the actor before the state is first submitted.</summary>
    internal Rejection? Refusal { get; set; }

    /// <summary>The count as of the last applied step (the stage writes it after each step; a snapshot
    /// records it together with <see cref="Values"/>, so the two always agree).</summary>
    internal long AppliedCount { get; set; }

    /// <summary>The last explicit t among the applied steps (null: none since the start or the last end).</summary>
    internal long? AppliedT
    {
        get => _appliedT == NoT ? null : _appliedT;
        set => _appliedT = value ?? NoT;
    }

    /// <summary>Steps applied since the state was last written to the store (0: the store has it).</summary>
    internal int UnsavedSteps { get; set; }

    /// <summary>Whether the owner has closed the state (it is passivating): no new step may start.</summary>
    public bool IsClosing => _closing;

    /// <summary>The batch this state was last put into (compute stage only): at most one step per batch.</summary>
    internal long BatchStamp { get; set; } = -1;

    /// <summary>
    /// Accepts an observation: assigns its t and advances the count (an end restarts it), or says why it
    /// cannot be applied (a duplicate of an accepted t, or a refused sequence) and changes nothing.
    /// </summary>
    internal Rejection? TryAccept(Observation observation, out long t)
    {
        t = 0;
        if (Refusal is not null) return Refusal;
        if (observation.T is { } explicitT && LastT is { } last && explicitT <= last)
            return new Rejection(ObservationErrorKind.Duplicate,
                $"duplicate: t = {explicitT} is not after t = {last}, the last accepted for sequence '{SequenceId}' (a replayed observation); it was dropped.");
        t = observation.T ?? Count;
        Count = observation.End ? 0 : Count + 1;
        LastT = observation.End ? null : observation.T ?? LastT;
        LastActivity = Stopwatch.GetTimestamp();
        return null;
    }

    /// <summary>Records that the stage applied <paramref name="observation"/> (stage thread, right after the step).</summary>
    internal void Applied(Observation observation)
    {
        AppliedCount = observation.End ? 0 : AppliedCount + 1;
        AppliedT = observation.End ? null : observation.T ?? AppliedT;
        UnsavedSteps = observation.End ? 0 : UnsavedSteps + 1;
    }

    /// <summary>Restores a stored state (the actor, before the state is first submitted).</summary>
    internal void Restore(ReadOnlySpan<float> values, long count, long? lastT)
    {
        values.CopyTo(Values);
        Count = AppliedCount = count;
        LastT = AppliedT = lastT;
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
