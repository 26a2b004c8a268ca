using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Akka.Actor;

namespace LstmStreams.Sequences;

/// <summary>
/// Finds sequence actors: a message carries its sequence id; the region creates the actor on demand and
/// forwards. Same contract as an Akka.Cluster.Sharding region (entity id from the message, Passivate with
/// a stop message, messages for a passivating entity buffered and delivered to its successor), so a shard
/// region can take its place without touching the actors or the compute stage. The actor's stop message
/// (<see cref="StopSequence"/>) and <see cref="SequenceStopped"/> name its sequence, so the region keeps one
/// map, id → entity, and checks that the actor is still that entry's. A sequence actor that passivated may
/// hand itself back (<see cref="SequenceReleased"/>) instead of stopping: the region gives it the next new id
/// (no actor created, none stopped); each sweep stops half of those not reused since the previous one (<see cref="RetireSequence"/>).
/// </summary>
public sealed class SequenceRegion : UntypedActor, IWithTimers
{
    private const string SweepTimer = "passivation-sweep";
    private readonly Props _entityProps;
    private readonly IPassivationPolicy _passivation;
    private readonly Dictionary<string, Entity> _entities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<object>> _buffered = new(StringComparer.Ordinal); // for passivating entities
    private readonly Action<int>? _liveChanged;
    private readonly Stack<IActorRef> _released = new(); // actors that passivated and wait for a new sequence
    private readonly List<PassivationWaiter> _waiters = new(); // PassivateSequences not yet answered
    private int _reusedSinceSweep;
    private long _created;

    /// <summary>Creates a region.</summary>
    /// <param name="entityProps">Props of a sequence actor (shared: the actor learns its id from its first message).</param>
    /// <param name="passivation">When idle sequences are stopped.</param>
    /// <param name="liveChanged">Told the number of live sequences whenever it changes (metrics).</param>
    public SequenceRegion(Props entityProps, IPassivationPolicy passivation, Action<int>? liveChanged = null)
    {
        _entityProps = entityProps;
        _passivation = passivation;
        _liveChanged = liveChanged;
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for a region.</summary>
    public static Props Props(Props entityProps, IPassivationPolicy passivation, Action<int>? liveChanged = null) =>
        Akka.Actor.Props.Create(() => new SequenceRegion(entityProps, passivation, liveChanged));

    /// <summary>A sequence that fails is stopped, not restarted: a restart would keep its address with a fresh,
    /// zero state. Stopped, it tells the region, and its next observation restores its stored state in a new actor.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (_passivation.SweepInterval is { } interval)
            Timers.StartPeriodicTimer(SweepTimer, Sweep.Instance, interval);
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ISequenceMessage routed:
                Deliver(routed.SequenceId, routed);
                break;
            case SequenceMessageBatch batch:
                for (int i = 0; i < batch.Count; i++) Deliver(batch.Messages[i].SequenceId, batch.Messages[i]);
                break;
            case Passivate { StopMessage: StopSequence stop } passivate when TryFind(stop.SequenceId, Sender, out var id):
                ref var entity = ref CollectionsMarshal.GetValueRefOrNullRef(_entities, id);
                if (!entity.Passivating)
                {
                    entity.LastSeen = Entity.PassivatingMark;
                    Sender.Tell(passivate.StopMessage);
                }

                break;
            case PassivateSequences passivate:
                PassivateNow(passivate, Sender);
                break;
            case SequenceStopped stopped when TryFind(stopped.SequenceId, stopped.Actor, out var stoppedId):
                _entities.Remove(stoppedId);
                Forgotten(stoppedId);
                _liveChanged?.Invoke(_entities.Count);
                if (_buffered.Remove(stoppedId, out var buffered))
                {
                    foreach (var pending in buffered) Deliver(stoppedId, pending);
                }

                break;
            case SequenceReleased released when TryFind(released.SequenceId, released.Actor, out var releasedId):
                _entities.Remove(releasedId);
                Forgotten(releasedId);
                _liveChanged?.Invoke(_entities.Count);
                _released.Push(released.Actor);
                if (_buffered.Remove(releasedId, out var waiting))
                {
                    foreach (var pending in waiting) Deliver(releasedId, pending);
                }

                break;
            case SequenceReleased stale:
                stale.Actor.Tell(RetireSequence.Instance, Self);
                break;
            case Sweep:
                SweepIdle();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void PassivateNow(PassivateSequences request, IActorRef replyTo)
    {
        var waiting = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in request.SequenceIds)
        {
            ref var entity = ref CollectionsMarshal.GetValueRefOrNullRef(_entities, id);
            if (Unsafe.IsNullRef(ref entity)) continue;
            waiting.Add(id);
            if (entity.Passivating) continue;
            entity.LastSeen = Entity.PassivatingMark;
            entity.Actor.Tell(new StopSequence(id), Self);
        }

        if (waiting.Count == 0) replyTo.Tell(new SequencesPassivated(request));
        else _waiters.Add(new PassivationWaiter(request, replyTo, waiting));
    }

    /// <summary>A sequence is no longer live: answers the passivation requests it was the last one of. A sequence
    /// whose buffered messages made a successor live is still forgotten here: its state was written first.</summary>
    private void Forgotten(string id)
    {
        for (int i = _waiters.Count - 1; i >= 0; i--)
        {
            var waiter = _waiters[i];
            if (!waiter.Waiting.Remove(id) || waiter.Waiting.Count > 0) continue;
            waiter.ReplyTo.Tell(new SequencesPassivated(waiter.Request));
            _waiters.RemoveAt(i);
        }
    }

    private sealed record PassivationWaiter(PassivateSequences Request, IActorRef ReplyTo, HashSet<string> Waiting);

    private void Deliver(string id, object message)
    {
        ref var entity = ref CollectionsMarshal.GetValueRefOrNullRef(_entities, id);
        if (Unsafe.IsNullRef(ref entity))
        {
            IActorRef actor;
            if (_released.Count > 0)
            {
                actor = _released.Pop();
                _reusedSinceSweep++;
            }
            else
            {
                actor = Context.ActorOf(_entityProps, ActorName(++_created));
            }

            // No Context.Watch: a watch costs ~150 B per sequence in both actor cells (measured by bytes/sequence);
            // the sequence tells the region itself when it stops (SequenceStopped, from PostStop).
            _entities.Add(id, new Entity(actor));
            _liveChanged?.Invoke(_entities.Count);
            actor.Tell(message, Self);
            return;
        }

        if (entity.Passivating)
        {
            ref var buffer = ref CollectionsMarshal.GetValueRefOrAddDefault(_buffered, id, out _);
            (buffer ??= new List<object>()).Add(message);
            return;
        }

        entity.LastSeen = Stopwatch.GetTimestamp();
        entity.Actor.Tell(message, Self);
    }

    /// <summary>Finds the entry of <paramref name="actor"/> by the id it names; false for a stale actor (its
    /// entry is gone or belongs to a successor). An actor that never learned its id (it failed on its first
    /// message) is looked for among all entries: rare, and it spares a map from actor to id.</summary>
    private bool TryFind(string? id, IActorRef actor, out string found)
    {
        if (id is not null)
        {
            found = id;
            return _entities.TryGetValue(id, out var entity) && (ReferenceEquals(entity.Actor, actor) || entity.Actor.Equals(actor)); // a local actor's Self: the same object, no path compare
        }

        foreach (var (key, entity) in _entities)
        {
            if (entity.Actor.Equals(actor))
            {
                found = key;
                return true;
            }
        }

        found = string.Empty;
        return false;
    }

    /// <summary>"s" and <paramref name="number"/> in base 62: at most 5 characters, a 32-byte string, for the
    /// first 14.7 million actors created (in decimal, 40 bytes from the 10,000th).</summary>
    private static string ActorName(long number)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        int length = 1;
        for (long rest = number / digits.Length; rest > 0; rest /= digits.Length) length++;
        return string.Create(length + 1, number, static (name, n) =>
        {
            name[0] = 's';
            for (int i = name.Length - 1; i > 0; i--, n /= digits.Length) name[i] = digits[(int)(n % digits.Length)];
        });
    }

    private void SweepIdle()
    {
        // Half the released actors not needed since the last sweep stop: releases come in a burst after each sweep
        // and new ids all the time, so a pool trimmed to the last interval's use ran dry before the next burst
        // (1M-id churn: 335k actors created, 274-300k with half; 118-129k -> 145-158k obs/s in two pairs).
        for (int surplus = (_released.Count - _reusedSinceSweep) / 2; surplus > 0; surplus--) _released.Pop().Tell(RetireSequence.Instance, Self);
        _reusedSinceSweep = 0;
        long now = Stopwatch.GetTimestamp();
        foreach (var (_, entity) in _entities)
        {
            if (!entity.Passivating && _passivation.ShouldPassivate(Stopwatch.GetElapsedTime(entity.LastSeen, now)))
                entity.Actor.Tell(PassivateIfIdle.Instance, Self);
        }
    }

    /// <summary>A live entity: its actor, and when the region last routed to it (Stopwatch ticks) or
    /// <see cref="PassivatingMark"/>. A struct held in the map (updated through a ref): no object per sequence.
    /// A passivating entity's messages wait in <c>_buffered</c>.</summary>
    private struct Entity(IActorRef actor)
    {
        public const long PassivatingMark = long.MinValue;
        public readonly IActorRef Actor = actor;
        public long LastSeen = Stopwatch.GetTimestamp();

        public readonly bool Passivating => LastSeen == PassivatingMark;
    }

    private sealed class Sweep
    {
        public static Sweep Instance { get; } = new();
    }
}
