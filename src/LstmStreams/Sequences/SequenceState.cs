using System.Diagnostics;

namespace LstmStreams.Sequences;

/// <summary>
/// The recurrent state of one sequence: one <c>float[StateSize]</c> in the layout of
/// <see cref="Core.Model.RecurrentModel"/>. Owned by the sequence's actor; the compute stage's kernel
/// writes it in place, one step at a time (the stage never has two steps of one sequence in a batch).
/// </summary>
public sealed class SequenceState
{
    private int _inFlight;

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

    /// <summary>Steps submitted by the actor and not yet applied by the compute stage.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The batch this state was last put into (compute stage only): at most one step per batch.</summary>
    internal long BatchStamp { get; set; } = -1;

    internal void StepSubmitted() => Interlocked.Increment(ref _inFlight);

    internal void StepApplied()
    {
        int left = Interlocked.Decrement(ref _inFlight);
        Debug.Assert(left >= 0, "a step was applied that was never submitted");
    }
}
