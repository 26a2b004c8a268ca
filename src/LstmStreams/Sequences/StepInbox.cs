using System.Collections.Concurrent;
using Akka.Actor;

namespace LstmStreams.Sequences;

/// <summary>
/// The compute stage's inbox: sequence actors on any thread submit step requests and close requests; the
/// stage drains them on its own thread. The stage is woken only when it has gone idle, so under load a
/// submit is one lock-free enqueue and no message. Its size is bounded by the stage's max-in-flight admission.
/// </summary>
public sealed class StepInbox
{
    private readonly ConcurrentQueue<StepRequest> _queue = new();
    private readonly ConcurrentQueue<CloseRequest> _closes = new();
    private Action? _wake;
    private int _wakePending = 1; // armed by the stage once it is running

    /// <summary>Submits a step; wakes the stage if it was idle.</summary>
    public void Submit(in StepRequest request)
    {
        _queue.Enqueue(request);
        Wake();
    }

    /// <summary>
    /// Asks the stage to close <paramref name="state"/>: it accepts no new step on it, and tells
    /// <paramref name="owner"/> <see cref="SequenceClosed"/> once the steps it holds are applied. Steps the
    /// owner submitted before are taken first (the stage drains closes before steps, see <see cref="TryTakeClose"/>).
    /// </summary>
    public void RequestClose(SequenceState state, IActorRef owner)
    {
        _closes.Enqueue(new CloseRequest(state, owner));
        Wake();
    }

    /// <summary>Takes the oldest step request, if any (compute stage only).</summary>
    public bool TryTake(out StepRequest request) => _queue.TryDequeue(out request);

    /// <summary>Takes the oldest close request, if any (compute stage only). Take closes before draining the
    /// steps: every step its owner submitted before a close is then already in the step queue.</summary>
    public bool TryTakeClose(out CloseRequest request) => _closes.TryDequeue(out request);

    /// <summary>Sets how the stage is woken (a thread-safe async callback).</summary>
    internal void SetWake(Action wake) => _wake = wake;

    /// <summary>Called by the stage when it goes idle: the next submit wakes it. Drain again afterwards.</summary>
    internal void Rearm() => Volatile.Write(ref _wakePending, 0);

    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
            _wake?.Invoke();
    }
}

/// <summary>A sequence actor asks the compute stage to close its state (it is passivating or failed).</summary>
/// <param name="State">The state to close.</param>
/// <param name="Owner">Told <see cref="SequenceClosed"/> once no step of the state is held; Nobody for none.</param>
public readonly record struct CloseRequest(SequenceState State, IActorRef Owner);
