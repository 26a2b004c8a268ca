using System.Diagnostics;
using LstmStreams.Pipeline;

namespace LstmStreams.Sequences;

/// <summary>
/// The recurrent state of one sequence: one <c>float[StateSize]</c> in the layout of
/// <see cref="Core.Model.RecurrentModel"/>, the count of observations accepted (the default t), and the
/// steps the compute stage holds. Owned by the sequence's actor, which creates it and has it closed when it
/// passivates; the compute stage's kernel writes it in place, one step at a time, and holds a lease on it:
/// while the state is open the stage accepts a live sequence's observations itself, without a message to
/// the actor. The lease needs no lock and no atomic instruction per observation: only the stage opens
/// steps on an open state and only the stage closes it (on the actor's request, through the
/// <see cref="StepInbox"/>), so every lease decision is made on one thread.
/// </summary>
public sealed class SequenceState
{
    private const long NoT = long.MinValue; // "no t": a long? would cost 8 more bytes per sequence, twice
    private long _lastT = NoT, _appliedT = NoT;
    private int _pending;
    private int _lastActivity = Environment.TickCount; // ms; an int rather than Stopwatch ticks: 8 bytes less per sequence

    /// <summary>A zero state.</summary>
    public SequenceState(string sequenceId, int stateSize)
    {
        SequenceId = sequenceId;
        Values = new float[stateSize];
    }

    /// <summary>The sequence's id.</summary>
    public string SequenceId { get; }

    /// <summary>h and c of every layer; written in place by the kernel.</summary>
    public float[] Values { get; }

    /// <summary>Steps the compute stage holds for this sequence (waiting or in the running batch). Written by
    /// the stage only; any other thread reads a hint (the actor, to decide whether it looks idle).</summary>
    public int Pending => Volatile.Read(ref _pending);

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

    /// <summary>How long since an observation was last accepted (or the state made), to the millisecond. Known
    /// modulo ~49.7 days (a wrapping millisecond count): never longer than the true idle time, so a sequence is
    /// never passivated early; with an idle-timeout of that order it may be passivated late or not at all.</summary>
    internal TimeSpan IdleTime => TimeSpan.FromMilliseconds(unchecked((uint)(Environment.TickCount - _lastActivity)));

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

    /// <summary>Whether the stage has closed the state at its owner's request (compute stage only): no new
    /// step is accepted on it; the owner stops once <see cref="Pending"/> is 0.</summary>
    internal bool Closed { get; set; }

    /// <summary>Whether the owner has asked the stage to close the state (owner only). Kept here rather than in
    /// the actor: it fills padding of this object, where the actor would grow by 8 bytes.</summary>
    internal bool CloseRequested { get; set; }

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
        _lastActivity = Environment.TickCount;
        return null;
    }

    /// <summary>Records that the stage applied <paramref name="observation"/> (stage thread, right after the step).</summary>
    internal void Applied(Observation observation)
    {
        AppliedCount = observation.End ? 0 : AppliedCount + 1;
        AppliedT = observation.End ? null : observation.T ?? AppliedT;
        UnsavedSteps = observation.End ? 0 : UnsavedSteps + 1;
        Volatile.Write(ref _pending, _pending - 1);
        Debug.Assert(_pending >= 0, "a step was applied that the stage never held");
    }

    /// <summary>The stage holds one more step of this sequence (stage thread).</summary>
    internal void StepHeld() => Volatile.Write(ref _pending, _pending + 1);

    /// <summary>Restores a stored state (the actor, before the state is first submitted).</summary>
    internal void Restore(ReadOnlySpan<float> values, long count, long? lastT)
    {
        values.CopyTo(Values);
        Count = AppliedCount = count;
        LastT = AppliedT = lastT;
    }
}
