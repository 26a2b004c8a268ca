namespace LstmStreams.Persistence;

/// <summary>What to do when a sequence's stored state was written by a model of another shape.</summary>
public enum ShapeMismatchPolicy
{
    /// <summary>Refuse the sequence: each of its observations becomes an error record; the stored state is kept.</summary>
    Refuse,

    /// <summary>Log a warning, start the sequence from zeros, and overwrite the stored state at the next snapshot.</summary>
    StartFresh,
}

/// <summary>
/// Durable sequence state: where snapshots go and when they are taken (HOCON <c>lstm-streams.persistence</c>;
/// every key is documented in the embedded reference.conf).
/// </summary>
public sealed record PersistenceSettings
{
    /// <summary>The store: <c>none</c>, <c>memory</c>, <c>sqlite:PATH</c> or <c>postgres:CONNECTION-STRING</c>.</summary>
    public StoreLocation Store { get; init; } = StoreLocation.None;

    /// <summary>Snapshot a live sequence after this many applied observations (0: never by count).</summary>
    public int SnapshotEvery { get; init; } = 1000;

    /// <summary>Snapshot a live sequence with unsaved steps this long after its last snapshot (zero: never by time).</summary>
    public TimeSpan SnapshotInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>What a stored state of another model shape does.</summary>
    public ShapeMismatchPolicy OnShapeMismatch { get; init; } = ShapeMismatchPolicy.Refuse;

    /// <summary>Store operations (loads, writes, deletes) outstanding at once.</summary>
    public int Parallelism { get; init; } = 512;

    /// <summary>First wait before a failed store operation is retried; doubles up to <see cref="RetryMaxBackoff"/>.</summary>
    public TimeSpan RetryMinBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between retries of a failed store operation.</summary>
    public TimeSpan RetryMaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one store operation may take before it counts as failed (and is retried).</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Prefix of every sequence's persistence id (several models can then share one store).</summary>
    public string PersistenceIdPrefix { get; init; } = "seq:";

    /// <summary>Answer the load of an id an SQL store has never held without a query (a filter of the stored
    /// ids, read once at start and kept as written). Off when another process writes the same prefix meanwhile.</summary>
    public bool IdFilter { get; init; } = true;

    /// <summary>Checks every value; the message names the HOCON key and the fix.</summary>
    public void Validate()
    {
        if (SnapshotEvery < 0)
            throw new ArgumentException($"lstm-streams.persistence.snapshot-every = {SnapshotEvery}: must be 0 (never by count) or more.");
        if (SnapshotInterval < TimeSpan.Zero)
            throw new ArgumentException($"lstm-streams.persistence.snapshot-interval = {SnapshotInterval}: must not be negative (0 = never by time).");
        if (Parallelism < 1)
            throw new ArgumentException($"lstm-streams.persistence.parallelism = {Parallelism}: must be at least 1.");
        if (RetryMinBackoff <= TimeSpan.Zero || RetryMaxBackoff < RetryMinBackoff)
            throw new ArgumentException($"lstm-streams.persistence.retry-min-backoff = {RetryMinBackoff} and retry-max-backoff = {RetryMaxBackoff}: need 0 < min <= max.");
        if (OperationTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"lstm-streams.persistence.operation-timeout = {OperationTimeout}: must be positive.");
    }
}
