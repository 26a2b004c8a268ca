using Akka.Actor;
using LstmStreams.Pipeline;

namespace LstmStreams.Cluster.Hosting;

/// <summary>The node's engine → host: the keeper the engine started (the host stands in front of it).</summary>
internal sealed record UseKeeper(IActorRef Keeper);

/// <summary>The node's engine → host: the engine's sequence region.</summary>
internal sealed record UseRegion(IActorRef Region);

/// <summary>The node's engine → host: the predictions of one kernel batch, positions as composed by <see cref="IngesterSlots"/>.</summary>
internal sealed record EngineBatch(IReadOnlyList<Prediction> Predictions);

/// <summary>The node's engine → host: an error record, position as composed by <see cref="IngesterSlots"/>.</summary>
internal sealed record EngineError(ObservationError Error);

/// <summary>A shard's entity → host: write these sequences' states (passivating them) and answer
/// <see cref="SequencesHandedOff"/> once the store holds them.</summary>
internal sealed record HandOffSequences(int Shard, IReadOnlyCollection<string> SequenceIds);

/// <summary>Host → a shard's entity: its sequences are in the store and no longer live on this node.</summary>
internal sealed class SequencesHandedOff
{
    public static SequencesHandedOff Instance { get; } = new();

    private SequencesHandedOff()
    {
    }
}
