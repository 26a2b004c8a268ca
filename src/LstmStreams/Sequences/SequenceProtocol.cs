namespace LstmStreams.Sequences;

/// <summary>A message addressed to one sequence: the region routes it by <see cref="SequenceId"/>
/// (the contract of an Akka.Cluster.Sharding entity message).</summary>
public interface ISequenceMessage
{
    /// <summary>The entity id.</summary>
    string SequenceId { get; }
}

/// <summary>Region → sequence: you have been idle; passivate if nothing is in flight.</summary>
public sealed class PassivateIfIdle
{
    /// <summary>The instance.</summary>
    public static PassivateIfIdle Instance { get; } = new();

    private PassivateIfIdle()
    {
    }
}

/// <summary>Sequence → region: stop me, then deliver my later messages to a fresh actor (as Sharding's Passivate).</summary>
/// <param name="StopMessage">The message the region sends back to the sequence to stop it.</param>
public sealed record Passivate(object StopMessage);

/// <summary>Sequence → region inside <see cref="Passivate"/>, then region → sequence: the stop message of a
/// passivation. It names the sequence so that the region finds the entity by id, without a second map from
/// actor to id (~37 bytes per live sequence).</summary>
/// <param name="SequenceId">The passivating sequence's id; null for an actor that never learned it (it failed
/// on its first message).</param>
public sealed record StopSequence(string? SequenceId);

/// <summary>Compute stage → sequence: its state is closed and no step of it is held; the actor may write it and stop.</summary>
public sealed class SequenceClosed
{
    /// <summary>The instance.</summary>
    public static SequenceClosed Instance { get; } = new();

    private SequenceClosed()
    {
    }
}

/// <summary>
/// Several sequence messages in one envelope, in order: the compute stage hands the region each burst of
/// admitted observations at once instead of one cross-thread message per observation. The region delivers
/// them one by one, exactly as if they had been sent separately.
/// </summary>
/// <param name="Messages">The messages; only the first <paramref name="Count"/> are valid.</param>
/// <param name="Count">How many.</param>
public sealed record SequenceMessageBatch(ISequenceMessage[] Messages, int Count);

/// <summary>Sequence → region, from the sequence's PostStop: it has stopped; messages buffered for it go to a
/// successor. (Instead of a death watch, which costs memory in both actor cells for every live sequence.)</summary>
/// <param name="SequenceId">The sequence's id, by which the region finds its entry; null for an actor that never
/// learned it (it failed on its first message).</param>
/// <param name="Actor">The sequence actor that stopped: the region drops the entry only if it is still this actor's.</param>
public sealed record SequenceStopped(string? SequenceId, Akka.Actor.IActorRef Actor);

/// <summary>
/// Sequence actor → its region, instead of stopping (with <see cref="SequenceContext.ReuseActors"/>): it has
/// passivated (its state closed and handed to the keeper) and may be given another sequence. The region forgets
/// the sequence as for <see cref="SequenceStopped"/> and keeps the actor for the next new id, which spares an
/// actor's creation and its stop (measured: most of what a new sequence cost, see PERFORMANCE.md, Churn).
/// </summary>
/// <param name="SequenceId">The sequence it no longer holds.</param>
/// <param name="Actor">The actor.</param>
public sealed record SequenceReleased(string SequenceId, Akka.Actor.IActorRef Actor);

/// <summary>Region → a released sequence actor it does not need: stop, without telling the region.</summary>
public sealed class RetireSequence
{
    /// <summary>The instance.</summary>
    public static RetireSequence Instance { get; } = new();

    private RetireSequence()
    {
    }
}

/// <summary>
/// → region: passivate these sequences now, idle or not (a cluster node hands a shard over): each live one closes
/// its state, writes it and is forgotten, as after an idle timeout; their later messages go to successors, which
/// restore the written states. Answered with <see cref="SequencesPassivated"/> once none of them is live.
/// </summary>
/// <param name="SequenceIds">The sequences; ids not live are already done.</param>
public sealed record PassivateSequences(IReadOnlyCollection<string> SequenceIds);

/// <summary>Region → the asker of <see cref="PassivateSequences"/>: none of those sequences is live now; their
/// states have been handed to the keeper (before this answer was sent).</summary>
/// <param name="Request">The request answered.</param>
public sealed record SequencesPassivated(PassivateSequences Request);
