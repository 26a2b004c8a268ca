using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using LstmStreams.Pipeline;
using static Akka.Cluster.ClusterEvent;

namespace LstmStreams.Cluster.Ingest;

/// <summary>
/// Reads one source into the cluster and writes what comes back. Each observation gets a t (its own, or this
/// ingester's count for its sequence) and an ingester position, and goes, with the rest of its group that belongs
/// to the same shard, in one message through the node's shard region to whichever node hosts the shard. The
/// ingester keeps every observation it routed until that node reports a durable snapshot including it
/// (<see cref="Released"/>); at most max-unreleased at once, which is how backpressure reaches the source.
/// When a member becomes unreachable it stops routing (new groups wait); when that member is removed (downed by the
/// split-brain resolver), it sends again, in order, every unreleased observation of the shards that member hosted
/// (or whose host it never heard from), then what waited. The restarted shard restores the last durable snapshot;
/// t drops what it already includes; what it re-applies gives the same predictions, written once.
/// </summary>
internal sealed class Ingester : UntypedActor, IWithTimers
{
    private const int MaxRouted = 4096; // observations in one routed message
    private const string ResendTimer = "resend";
    private readonly IActorRef _region;
    private readonly int _shards;
    private readonly int _maxUnreleased;
    private readonly IngestOutput _output;
    private readonly IngestProgress _progress;
    private readonly TaskCompletionSource<IngestSummary> _done;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, SequenceLog> _logs = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Entry> _entries = new();
    private readonly Address?[] _shardHosts; // from the answers: where each shard was last heard from
    private readonly HashSet<Address> _unreachable = new(); // while any, nothing is sent
    private readonly ShardRoutes _routes;
    private IActorRef? _upstream;
    private bool _ackOwed, _upstreamDone;
    private long _nextPosition = 1;

    public Ingester(IActorRef region, int shards, int maxUnreleased, IngestOutput output, IngestProgress progress, TaskCompletionSource<IngestSummary> done)
    {
        _region = region;
        _shards = shards;
        _maxUnreleased = maxUnreleased;
        _output = output;
        _progress = progress;
        _done = done;
        _shardHosts = new Address?[shards];
        _routes = new ShardRoutes(shards, MaxRouted, Send);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef region, int shards, int maxUnreleased, IngestOutput output, IngestProgress progress, TaskCompletionSource<IngestSummary> done) =>
        Akka.Actor.Props.Create(() => new Ingester(region, shards, maxUnreleased, output, progress, done));

    protected override void PreStart()
    {
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, InitialStateAsEvents, typeof(IReachabilityEvent), typeof(IMemberEvent));
        Timers.StartPeriodicTimer(ResendTimer, ResendDue.Instance, TimeSpan.FromSeconds(1));
    }

    protected override void PostStop()
    {
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        _done.TrySetException(new InvalidOperationException("the ingester stopped before its input was done."));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case StreamStarted:
                _upstream = Sender;
                Sender.Tell(GroupTaken.Instance);
                break;
            case IReadOnlyList<Observation> group:
                _upstream = Sender;
                Route(group);
                if (_progress.Unreleased < _maxUnreleased) Sender.Tell(GroupTaken.Instance);
                else _ackOwed = true;
                break;
            case StreamEnded:
                _upstreamDone = true;
                CompleteIfDone();
                break;
            case StreamFailed failed:
                _done.TrySetException(failed.Cause);
                Context.Stop(Self);
                break;
            case Answers answers:
                OnAnswers(answers);
                Sender.Tell(new ConfirmAnswers(answers.Batch), Self);
                break;
            case Released released:
                OnReleased(released);
                break;
            case UnreachableMember unreachable:
                _unreachable.Add(unreachable.Member.Address);
                _log.Warning("member {0} is unreachable: routing waits until it is back or removed", unreachable.Member.Address);
                break;
            case ReachableMember reachable:
                _unreachable.Remove(reachable.Member.Address);
                _routes.SendReady(_unreachable.Count > 0, DateTime.UtcNow);
                break;
            case MemberRemoved removed:
                _unreachable.Remove(removed.Member.Address);
                Lost(removed.Member.Address);
                _routes.SendReady(_unreachable.Count > 0, DateTime.UtcNow);
                break;
            case RouteReceived { Accepted: true } received:
                _routes.Acknowledged(received.Shard, received.Number);
                _routes.SendReady(_unreachable.Count > 0, DateTime.UtcNow);
                break;
            case RouteReceived refused:
                _routes.Refused(refused.Shard, refused.Number, DateTime.UtcNow);
                break;
            case ResendDue:
                if (_unreachable.Count == 0) _routes.ResendOverdue(DateTime.UtcNow);
                break;
            case IMemberEvent or IReachabilityEvent or CurrentClusterState:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Route(IReadOnlyList<Observation> group)
    {
        _progress.ObservationsRead += group.Count;
        foreach (var observation in group)
        {
            if (string.IsNullOrEmpty(observation.SequenceId))
            {
                _progress.ErrorsWritten++;
                _output.Errors(new ObservationError(observation.Position, null, "the observation has no sequence id; give each observation its sequence's id."));
                continue;
            }

            if (!_logs.TryGetValue(observation.SequenceId, out var log))
            {
                log = new SequenceLog();
                _logs.Add(observation.SequenceId, log);
            }

            long t = observation.T ?? log.NextCount;
            log.NextCount = t + 1;
            var entry = new Entry(observation, ShardIds.Of(observation.SequenceId, _shards), t,
                new Observation(observation.SequenceId, observation.Features, t, observation.Reset, observation.End, _nextPosition++));
            log.Entries.Enqueue(entry);
            _entries.Add(entry.Routed.Position, entry);
            _progress.Unreleased++;
            _routes.Add(entry.Shard, entry.Routed);
        }

        _routes.SendReady(_unreachable.Count > 0, DateTime.UtcNow);
        CompleteIfDone();
    }

    private void Send(int shard, long number, Observation[] observations, bool again)
    {
        foreach (var observation in observations)
        {
            if (!_entries.TryGetValue(observation.Position, out var entry)) continue;
            entry.Sent = true;
            entry.Resent |= again;
        }

        if (again) _progress.Resent += observations.Length;
        _region.Tell(new RouteObservations(shard, number, Self, observations), Self);
        _progress.Messages++;
    }

    private void OnAnswers(Answers answers)
    {
        List<Prediction>? written = null;
        foreach (var prediction in answers.Predictions)
        {
            if (!_entries.TryGetValue(Cluster.Hosting.IngesterSlots.IngesterPosition(prediction.Position), out var entry)) continue; // released already
            Heard(entry.Shard);
            if (entry.Answered) continue; // a re-sent observation applied again: the same prediction, written once
            entry.Answered = true;
            (written ??= new List<Prediction>()).Add(prediction with { Position = entry.Original.Position });
        }

        if (written is not null)
        {
            _progress.PredictionsWritten += written.Count;
            _output.Predictions(written);
        }

        foreach (var error in answers.Errors)
        {
            long position = Cluster.Hosting.IngesterSlots.IngesterPosition(error.Position);
            if (!_entries.TryGetValue(position, out var entry)) continue;
            Heard(entry.Shard);
            if (entry.Answered) continue; // a re-sent observation the restored state already includes
            // A re-sent observation the state already includes, whose prediction may still be on its way: a host reports a
            // duplicate as it admits it, before it emits the predictions of the steps ahead of it. Its prediction, or the
            // release of a snapshot that includes it, settles it.
            if (entry.Resent && error.Kind == ObservationErrorKind.Duplicate) continue;
            entry.Answered = true;
            entry.Released = true; // never applied: no state will include it
            _entries.Remove(position);
            _progress.Unreleased--;
            _progress.ErrorsWritten++;
            _output.Errors(error with { Position = entry.Original.Position });
        }

        AckIfRoom();
        CompleteIfDone();
    }

    private void OnReleased(Released released)
    {
        var positions = _output.Released is null ? null : new List<long>();
        for (int i = 0; i < released.SequenceIds.Length; i++)
        {
            if (!_logs.TryGetValue(released.SequenceIds[i], out var log)) continue;
            long t = released.Ts[i];
            while (log.Entries.TryPeek(out var entry) && (entry.Released || entry.T <= t))
            {
                log.Entries.Dequeue();
                if (entry.Released) continue;
                entry.Released = true;
                _entries.Remove(entry.Routed.Position);
                _progress.Unreleased--;
                positions?.Add(entry.Original.Position);
                if (entry.Answered) continue;
                // Applied (a durable state includes it) but never answered: a host writes a state only after its answers
                // are confirmed, so this is a prediction lost on the way; say so rather than drop it in silence.
                _progress.ErrorsWritten++;
                _output.Errors(new ObservationError(entry.Original.Position, entry.Original.SequenceId,
                    $"applied on a node that was lost before its prediction arrived (t = {entry.T}); the sequence's state includes it. Its prediction cannot be given again.",
                    ObservationErrorKind.Refused));
            }
        }

        if (positions is { Count: > 0 }) _output.Released!(positions);
        AckIfRoom();
        CompleteIfDone();
    }

    /// <summary>
    /// A member was removed (downed, or left): every shard it hosted, or that no answer has come from yet, starts over.
    /// Its unreleased observations already sent go again, in order, ahead of what waits (<see cref="ShardRoutes.Restart"/>);
    /// the shard's next home restores its last durable snapshot first, and t drops what that already includes.
    /// </summary>
    private void Lost(Address lost)
    {
        var lostShards = new bool[_shards];
        var unreleased = new List<Observation>?[_shards];
        for (int shard = 0; shard < _shards; shard++)
        {
            if (_shardHosts[shard] is { } host && host != lost) continue;
            _shardHosts[shard] = null;
            lostShards[shard] = true;
            unreleased[shard] = new List<Observation>();
        }

        int count = 0;
        foreach (var (_, log) in _logs)
        {
            foreach (var entry in log.Entries)
            {
                if (entry.Released || !entry.Sent || !lostShards[entry.Shard]) continue;
                unreleased[entry.Shard]!.Add(entry.Routed);
                count++;
            }
        }

        for (int shard = 0; shard < _shards; shard++)
        {
            if (lostShards[shard]) _routes.Restart(shard, unreleased[shard]!);
        }

        _log.Warning("member {0} was removed: {1} unreleased observations sent again", lost, count);
    }

    /// <summary>An answer came from the shard's host: remember where the shard lives.</summary>
    private void Heard(int shard) => _shardHosts[shard] = Sender.Path.Address;

    private void AckIfRoom()
    {
        if (!_ackOwed || _progress.Unreleased >= _maxUnreleased) return;
        _ackOwed = false;
        _upstream?.Tell(GroupTaken.Instance);
    }

    private void CompleteIfDone()
    {
        if (!_upstreamDone || _progress.Unreleased > 0) return;
        _done.TrySetResult(new IngestSummary(_progress.ObservationsRead, _progress.PredictionsWritten, _progress.ErrorsWritten, _progress.Resent, _progress.Messages));
        Context.Stop(Self);
    }

    private sealed class ResendDue
    {
        public static ResendDue Instance { get; } = new();
    }

    private sealed class SequenceLog
    {
        public readonly Queue<Entry> Entries = new();
        public long NextCount;
    }

    private sealed class Entry(Observation original, int shard, long t, Observation routed)
    {
        public Observation Original { get; } = original;

        public int Shard { get; } = shard;

        public long T { get; } = t;

        public Observation Routed { get; } = routed;

        public bool Sent { get; set; }

        public bool Answered { get; set; }

        public bool Resent { get; set; }

        public bool Released { get; set; }
    }
}
