namespace LstmStreams.Persistence;

/// <summary>What the snapshot keeper has done, readable from any thread (part of the flow's metrics).</summary>
public sealed class StoreMetrics
{
    private long _neverStored, _loads, _restored, _written, _deleted, _failures, _pending;
    private string? _lastFailure;

    /// <summary>Of <see cref="Loads"/>, those answered without a query: the store never held the id (<c>id-filter</c>).</summary>
    public long NeverStored => Volatile.Read(ref _neverStored);

    /// <summary>Sequences whose stored state was looked up (each new or resumed sequence once).</summary>
    public long Loads => Volatile.Read(ref _loads);

    /// <summary>Sequences that found a stored state and resumed from it.</summary>
    public long Restored => Volatile.Read(ref _restored);

    /// <summary>Snapshots the store acknowledged.</summary>
    public long Written => Volatile.Read(ref _written);

    /// <summary>Stored states deleted (sequences that ended).</summary>
    public long Deleted => Volatile.Read(ref _deleted);

    /// <summary>Store operations that failed or timed out (each is retried with backoff).</summary>
    public long Failures => Volatile.Read(ref _failures);

    /// <summary>Saves and deletes received and not yet acknowledged by the store, now.</summary>
    public long Pending => Volatile.Read(ref _pending);

    /// <summary>The last store failure's message, or null.</summary>
    public string? LastFailure => Volatile.Read(ref _lastFailure);

    internal void OnLoad(bool found, bool neverStored = false)
    {
        Interlocked.Increment(ref _loads);
        if (neverStored) Interlocked.Increment(ref _neverStored);
        if (found) Interlocked.Increment(ref _restored);
    }

    internal void OnWritten() => Interlocked.Increment(ref _written);

    internal void OnDeleted() => Interlocked.Increment(ref _deleted);

    internal void OnFailure(string message)
    {
        Interlocked.Increment(ref _failures);
        Volatile.Write(ref _lastFailure, message);
    }

    internal void SetPending(long pending) => Volatile.Write(ref _pending, pending);
}
