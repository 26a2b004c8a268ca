using Akka.Actor;
using Akka.Event;
using LstmStreams.Persistence;
using LstmStreams.Pipeline;

namespace LstmStreams.Sequences;

/// <summary>
/// One sequence. Owns its recurrent state (h, c of every layer), the count of observations accepted and
/// the state's lifecycle. With a store, the first observation first restores the stored state (the others
/// wait in order meanwhile), and passivation writes the state before the actor stops.
/// An observation routed to it is handed to the compute stage at once with a reference to the state; the
/// stage keeps the sequence's order (at most one of its steps per batch) and writes the new state in place,
/// so no reply comes back per step. Once it has the state, the stage accepts the sequence's next
/// observations itself (a lease on the open state) until the actor has it closed: the actor passivates only
/// when the state has been idle for the policy's time with nothing pending, asks the stage to close the
/// state (no new step starts), and stops once the stage answers that no step of it is held.
/// </summary>
public sealed class SequenceActor : UntypedActor
{
    private readonly SequenceContext _context;
    private SequenceState? _state; // made with the first observation, which names the sequence
    private Queue<Observation>? _restoring; // observations that wait for the stored state
    private bool _released; // passivated and handed back to the region, which may give it another sequence

    /// <summary>Creates a sequence actor; its state is made (or restored) when its first observation arrives.</summary>
    public SequenceActor(SequenceContext context) => _context = context;

    /// <summary>Props shared by every sequence of a region (one Props object, not one per sequence). Made
    /// with a direct producer: the expression-tree form of Props.Create costs ~20 µs per actor (measured).</summary>
    public static Props Props(SequenceContext context) => Akka.Actor.Props.CreateBy(new Producer(context));

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Observation observation:
                if (_state is null)
                {
                    _released = false;
                    _state = new SequenceState(observation.SequenceId, _context.StateSize);
                    if (_context.Keeper is { } keeper)
                    {
                        _restoring = new Queue<Observation>();
                        keeper.Tell(new LoadSequence(observation.SequenceId), Self);
                    }
                }

                if (_restoring is not null) _restoring.Enqueue(observation);
                else Submit(_state, observation);
                break;
            case SequenceLoaded loaded when _state is not null && _restoring is not null:
                Restore(_state, loaded);
                while (_restoring.TryDequeue(out var waiting)) Submit(_state, waiting);
                _restoring = null;
                break;
            case PassivateIfIdle when _released:
                break; // sent before it passivated; it holds no sequence now
            case PassivateIfIdle:
                // The region only sees the observations it routes; the state knows the stage's too.
                if (_state is null || (_restoring is null && _state.Pending == 0 && _context.Passivation.ShouldPassivate(_state.IdleTime)))
                    Context.Parent.Tell(new Passivate(new StopSequence(_state?.SequenceId)));
                break;
            case StopSequence when _state is null:
                Context.Stop(Self);
                break;
            case StopSequence when !_state.CloseRequested:
                // The stage closes the state (no new step starts) and answers once the steps it holds are applied.
                _state.CloseRequested = true;
                _context.Inbox.RequestClose(_state, Self);
                break;
            case SequenceClosed when _state is not null:
                _context.SaveIfUnsaved(_state);
                if (_context.ReuseActors)
                {
                    // Ready for another sequence: as after a stop, the next observation makes (or restores) a state.
                    Context.Parent.Tell(new SequenceReleased(_state.SequenceId, Self));
                    _state = null;
                    _released = true;
                }
                else
                {
                    Context.Stop(Self);
                }

                break;
            case RetireSequence:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Stopped otherwise than by passivation (a failure): observations still waiting for the stored state
        // become error records (each was admitted and counts in flight), and the stage must not step this state
        // again (the close request is taken after those rejections).
        if (_state is not null && _restoring is { Count: > 0 })
        {
            var failed = new Rejection(ObservationErrorKind.Refused,
                $"sequence '{_state.SequenceId}' failed before its stored state was restored; this observation was not applied. Send it again.");
            while (_restoring.TryDequeue(out var waiting)) _context.Inbox.Submit(new StepRequest(_state, waiting, 0, failed));
        }

        if (_state is not null && !_state.CloseRequested) _context.Inbox.RequestClose(_state, ActorRefs.Nobody);
        if (_released) return; // the region forgot it when it was released
        Context.Parent.Tell(new SequenceStopped(_state?.SequenceId, Self), Self);
    }

    private void Submit(SequenceState state, Observation observation)
    {
        if (state.TryAccept(observation, out long t) is { } rejection)
        {
            _context.Inbox.Submit(new StepRequest(state, observation, 0, rejection));
            return;
        }

        _context.Inbox.Submit(new StepRequest(state, observation, t));
    }

    private void Restore(SequenceState state, SequenceLoaded loaded)
    {
        string id = loaded.SequenceId;
        string? problem = loaded.Unreadable;
        if (loaded.Snapshot is { } snapshot)
        {
            if (snapshot.Shape.Equals(_context.Shape) && snapshot.Values.Length == state.Values.Length)
            {
                state.Restore(snapshot.Values, snapshot.Count, snapshot.LastT);
                return;
            }

            problem = $"its stored state was written by a model of shape ({snapshot.Shape}), but this model is ({_context.Shape})";
        }

        if (problem is null) return; // nothing stored: start from zeros

        if (_context.Persistence.OnShapeMismatch == ShapeMismatchPolicy.StartFresh)
        {
            Context.GetLogger().Warning("sequence '{0}': {1}; starting it from zeros (on-shape-mismatch = start-fresh); its stored state will be overwritten", id, problem);
            state.UnsavedSteps = 1; // overwrite the unusable state at the next snapshot
            return;
        }

        state.Refusal = new Rejection(ObservationErrorKind.Refused,
            $"sequence '{id}' is refused: {problem}. Run it with the model that wrote the state, point --store elsewhere, " +
            "or set lstm-streams.persistence.on-shape-mismatch = start-fresh to discard such states.");
    }

    private sealed class Producer(SequenceContext context) : IIndirectActorProducer
    {
        public Type ActorType => typeof(SequenceActor);

        public ActorBase Produce() => new SequenceActor(context);

        public void Release(ActorBase actor)
        {
        }
    }
}
