using Akka.Actor;
using LstmStreams.Persistence;

namespace LstmStreams.Sequences;

/// <summary>
/// What every sequence actor of one pipeline shares (one object, not one per actor): the state size and
/// shape of the model, the compute stage's inbox, the passivation policy, and the snapshot keeper (null
/// without a store).
/// </summary>
public sealed class SequenceContext
{
    /// <summary>Creates the shared context.</summary>
    public SequenceContext(ModelShape shape, StepInbox inbox, IPassivationPolicy passivation, IActorRef? keeper, PersistenceSettings persistence)
    {
        Shape = shape;
        StateSize = shape.StateSize;
        Inbox = inbox;
        Passivation = passivation;
        Keeper = keeper;
        Persistence = persistence;
    }

    /// <summary>The shape of the model's per-sequence state.</summary>
    public ModelShape Shape { get; }

    /// <summary>Floats of state per sequence.</summary>
    public int StateSize { get; }

    /// <summary>Where steps are submitted.</summary>
    public StepInbox Inbox { get; }

    /// <summary>When an idle sequence is stopped.</summary>
    public IPassivationPolicy Passivation { get; }

    /// <summary>The snapshot keeper, or null when states are not stored.</summary>
    public IActorRef? Keeper { get; }

    /// <summary>Snapshot settings.</summary>
    public PersistenceSettings Persistence { get; }

    /// <summary>A passivated actor tells its region <see cref="SequenceReleased"/> and waits to be given another
    /// sequence, instead of stopping. Only for a <see cref="SequenceRegion"/> (a shard region expects a stop).</summary>
    public bool ReuseActors { get; init; }

    /// <summary>Sends the state to the keeper if it has steps the store lacks. The caller guarantees no step
    /// runs meanwhile (the stage's own thread, or a closed state); <paramref name="copy"/> when it stays live.</summary>
    internal void SaveIfUnsaved(SequenceState state, bool copy = false)
    {
        if (Keeper is null || state.UnsavedSteps == 0 || state.Refusal is not null) return;
        state.UnsavedSteps = 0;
        var values = copy ? (float[])state.Values.Clone() : state.Values;
        Keeper.Tell(new SaveSequence(state.SequenceId, new SequenceSnapshot(Shape, values, state.AppliedCount, state.AppliedT)), ActorRefs.NoSender);
    }
}
