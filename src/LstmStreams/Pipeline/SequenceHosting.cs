using Akka.Actor;

namespace LstmStreams.Pipeline;

/// <summary>
/// What a host of sharded sequences (LstmStreams.Cluster) needs from one materialization of the flow: to
/// stand between the stage and the snapshot keeper, and to reach the flow's sequence region. A node of a
/// cluster may write a state only once the predictions of the steps it includes are safe at the node that
/// ingested them (otherwise a node lost after the write but before their delivery would leave those
/// observations applied and unanswered); the gate holds the saves until then.
/// </summary>
public sealed class SequenceHosting
{
    /// <summary>Given the keeper the flow started, returns the actor the stage and the sequence actors tell their
    /// saves, deletes and loads instead (it forwards them, holding saves and deletes as it must). Called once, when the
    /// flow starts, before any of them is sent.</summary>
    public required Func<IActorRef, IActorRef> SnapshotGate { get; init; }

    /// <summary>Told the flow's sequence region when the flow starts: the region answers
    /// <see cref="Sequences.PassivateSequences"/>.</summary>
    public Action<IActorRef>? RegionStarted { get; init; }
}
