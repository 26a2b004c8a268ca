using LstmStreams.Pipeline;

namespace LstmStreams.Cluster.Ingest;

/// <summary>Where an ingesting node's answers go: called on the ingester's thread, in per-sequence order.</summary>
/// <param name="Predictions">Predictions, positions as the source gave them.</param>
/// <param name="Errors">Error records, positions as the source gave them.</param>
/// <param name="Released">The source positions of observations now in a durable snapshot (their predictions were handed
/// to <paramref name="Predictions"/> before): a source that acknowledges its input (a broker) does it here. Null: not needed.</param>
public sealed record IngestOutput(Action<IReadOnlyList<Prediction>> Predictions, Action<ObservationError> Errors, Action<IReadOnlyList<long>>? Released = null);

/// <summary>What an ingest did.</summary>
/// <param name="Observations">Observations read from the source.</param>
/// <param name="Predictions">Predictions written (one per applied observation; a re-sent one's second is not written).</param>
/// <param name="Errors">Error records written.</param>
/// <param name="Resent">Observations sent again after a node hosting them was lost.</param>
/// <param name="Messages">Messages routed to shards (observations travel in one message per shard per group).</param>
public sealed record IngestSummary(long Observations, long Predictions, long Errors, long Resent, long Messages);

/// <summary>Counters of a running ingest (read from any thread).</summary>
public sealed class IngestProgress
{
    internal long ObservationsRead;
    internal long PredictionsWritten;
    internal long ErrorsWritten;
    internal long Unreleased;
    internal long Resent;
    internal long Messages;

    /// <summary>Observations read so far.</summary>
    public long Observations => Volatile.Read(ref ObservationsRead);

    /// <summary>Predictions written so far.</summary>
    public long Predictions => Volatile.Read(ref PredictionsWritten);

    /// <summary>Error records written so far.</summary>
    public long Errors => Volatile.Read(ref ErrorsWritten);

    /// <summary>Observations kept until a durable snapshot includes them.</summary>
    public long Pending => Volatile.Read(ref Unreleased);

    /// <summary>Observations sent again after a node was lost.</summary>
    public long ResentCount => Volatile.Read(ref Resent);

    /// <summary>Messages routed to shards so far.</summary>
    public long MessagesRouted => Volatile.Read(ref Messages);
}

internal sealed class StreamStarted
{
    public static StreamStarted Instance { get; } = new();
}

internal sealed class GroupTaken
{
    public static GroupTaken Instance { get; } = new();
}

internal sealed class StreamEnded
{
    public static StreamEnded Instance { get; } = new();
}

internal sealed record StreamFailed(Exception Cause);
