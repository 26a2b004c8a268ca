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

/// <summary>Region → sequence: the stop message of a passivation.</summary>
public sealed class StopSequence
{
    /// <summary>The instance.</summary>
    public static StopSequence Instance { get; } = new();

    private StopSequence()
    {
    }
}

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
/// <param name="Actor">The sequence actor that stopped.</param>
public sealed record SequenceStopped(Akka.Actor.IActorRef Actor);
