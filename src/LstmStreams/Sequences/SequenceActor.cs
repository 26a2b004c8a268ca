using System.Diagnostics;
using Akka.Actor;
using LstmStreams.Pipeline;

namespace LstmStreams.Sequences;

/// <summary>
/// One sequence. Owns its recurrent state (h, c of every layer), the count of observations accepted and
/// the state's lifecycle. An observation routed to it is handed to the compute stage at once with a
/// reference to the state; the stage keeps the sequence's order (at most one of its steps per batch) and
/// writes the new state in place, so no reply comes back per step. Once it has the state, the stage submits
/// the sequence's next observations itself (a lease on the open state) until the actor closes it:
/// the actor passivates only when the state has been idle for the policy's time with nothing in flight,
/// and closes it (so no new step can start) before it stops.
/// </summary>
public sealed class SequenceActor : UntypedActor
{
    private static readonly TimeSpan StopRetry = TimeSpan.FromMilliseconds(5);
    private readonly int _stateSize;
    private readonly StepInbox _inbox;
    private SequenceState? _state; // made with the first observation, which names the sequence
    private readonly IPassivationPolicy _passivation;
    private ICancelable? _stopRetry;

    /// <summary>Creates a sequence actor; its zero state is made when its first observation arrives.</summary>
    public SequenceActor(int stateSize, StepInbox inbox, IPassivationPolicy passivation)
    {
        _stateSize = stateSize;
        _inbox = inbox;
        _passivation = passivation;
    }

    /// <summary>Props shared by every sequence of a region (one Props object, not one per sequence). Made
    /// with a direct producer: the expression-tree form of Props.Create costs ~20 µs per actor (measured).</summary>
    public static Props Props(int stateSize, StepInbox inbox, IPassivationPolicy passivation) =>
        Akka.Actor.Props.CreateBy(new Producer(stateSize, inbox, passivation));

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Observation observation:
                var state = _state ??= new SequenceState(observation.SequenceId, _stateSize);
                long t = state.NextT(observation.T, observation.End); // an end: the stage zeroes the state after this step
                state.StepSubmitted();
                _inbox.Submit(new StepRequest(state, observation, t));
                break;
            case PassivateIfIdle:
                // The region only sees the observations it routes; the state knows the stage's too.
                if (_state is null || (_state.InFlight == 0 && _passivation.ShouldPassivate(Stopwatch.GetElapsedTime(_state.LastActivity))))
                    Context.Parent.Tell(new Passivate(StopSequence.Instance));
                break;
            case StopSequence:
                // Close the state so the stage starts no new step, and stop once the steps in flight are applied.
                if (_state is null || _state.TryClose()) Context.Stop(Self);
                else _stopRetry = Context.System.Scheduler.ScheduleTellOnceCancelable(StopRetry, Self, StopSequence.Instance, Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <inheritdoc />
    protected override void PostStop() => _stopRetry?.Cancel();

    private sealed class Producer(int stateSize, StepInbox inbox, IPassivationPolicy passivation) : IIndirectActorProducer
    {
        public Type ActorType => typeof(SequenceActor);

        public ActorBase Produce() => new SequenceActor(stateSize, inbox, passivation);

        public void Release(ActorBase actor)
        {
        }
    }
}
