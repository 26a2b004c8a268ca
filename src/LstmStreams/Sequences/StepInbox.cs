using System.Collections.Concurrent;

namespace LstmStreams.Sequences;

/// <summary>
/// The compute stage's inbox: sequence actors on any thread submit step requests; the stage drains them
/// on its own thread. The stage is woken only when it has gone idle, so under load a submit is one
/// lock-free enqueue and no message. Its size is bounded by the stage's max-in-flight admission.
/// </summary>
public sealed class StepInbox
{
    private readonly ConcurrentQueue<StepRequest> _queue = new();
    private Action? _wake;
    private int _wakePending = 1; // armed by the stage once it is running

    /// <summary>Submits a step; wakes the stage if it was idle.</summary>
    public void Submit(in StepRequest request)
    {
        _queue.Enqueue(request);
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
            _wake?.Invoke();
    }

    /// <summary>Takes the oldest request, if any (compute stage only).</summary>
    public bool TryTake(out StepRequest request) => _queue.TryDequeue(out request);

    /// <summary>Sets how the stage is woken (a thread-safe async callback).</summary>
    internal void SetWake(Action wake) => _wake = wake;

    /// <summary>Called by the stage when it goes idle: the next submit wakes it. Drain again afterwards.</summary>
    internal void Rearm() => Volatile.Write(ref _wakePending, 0);
}
