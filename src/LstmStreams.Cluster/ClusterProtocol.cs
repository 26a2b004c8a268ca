using Akka.Actor;
using LstmStreams.Pipeline;

namespace LstmStreams.Cluster;

/// <summary>Marks the messages that cross nodes: <see cref="ClusterMessageSerializer"/> writes them.</summary>
public interface IClusterMessage;

/// <summary>
/// Ingester → its node's shard region → the shard's entity on whichever node hosts it: the observations of one
/// group that belong to one shard, in input order (one remote message per shard per group, never one per
/// observation). Every observation has a t (its own or the ingester's per-sequence count) and the ingester's
/// position, by which the answers come back.
/// </summary>
/// <param name="Shard">The shard, which is the sharded entity's id.</param>
/// <param name="Number">The ingester's number of this message, acknowledged by <see cref="RouteReceived"/>.</param>
/// <param name="Ingester">Where the answers go.</param>
/// <param name="Observations">The observations, in input order.</param>
public sealed record RouteObservations(int Shard, long Number, IActorRef Ingester, Observation[] Observations) : IClusterMessage;

/// <summary>A shard's entity → the ingester: it has taken the message (handed it to its node's engine), or, handing the
/// shard over, it has not (send it again: the regions hold it until the shard's next home is known).</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Number">The message's number.</param>
/// <param name="Accepted">Taken; false: refused, send again.</param>
public sealed record RouteReceived(int Shard, long Number, bool Accepted) : IClusterMessage;

/// <summary>Host → ingester: the answers (a prediction or an error record for each observation) of one of the host's
/// batches for this ingester, numbered per ingester so that one confirmation covers every batch before it.</summary>
/// <param name="Batch">1, 2, 3… per (host, ingester).</param>
/// <param name="Predictions">Predictions, positions as the ingester sent them.</param>
/// <param name="Errors">Error records, positions as the ingester sent them.</param>
public sealed record Answers(long Batch, Prediction[] Predictions, ObservationError[] Errors) : IClusterMessage;

/// <summary>Ingester → host: every batch up to <paramref name="Batch"/> has arrived. Until then the host writes no
/// state that includes their steps (a state written but unanswered would be lost with the host).</summary>
/// <param name="Batch">The last batch received.</param>
public sealed record ConfirmAnswers(long Batch) : IClusterMessage;

/// <summary>Host → ingester: durable snapshots now include these sequences up to these t: their observations up to
/// it need never be sent again.</summary>
/// <param name="SequenceIds">The sequences.</param>
/// <param name="Ts">The t each is durable up to (same index).</param>
public sealed record Released(string[] SequenceIds, long[] Ts) : IClusterMessage;

/// <summary>The stop message of a shard's entity (sharding's hand-off, or the node leaving): drain, hand the shard's
/// sequences to the store, then stop. Local only.</summary>
public sealed class HandOffShard
{
    /// <summary>The instance.</summary>
    public static HandOffShard Instance { get; } = new();

    private HandOffShard()
    {
    }
}
