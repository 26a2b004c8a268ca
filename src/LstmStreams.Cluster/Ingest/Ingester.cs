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
    private const int MaxResent = 65536; // observations in one resent message (a shard's resend is one message: lost or delivered whole)
    private const string RecoveryTimer = "recovery";
    private static readonly TimeSpan RecoveryCheck = TimeSpan.FromSeconds(2);
    private readonly IActorRef _region;
    private readonly int _shards;
    private readonly int _maxUnreleased;
    private readonly IngestOutput _output;
    private readonly IngestProgress _progress;
    private readonly TaskCompletionSource<IngestSummary> _done;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, SequenceLog> _logs = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Entry> _entries = new();
    private readonly Address?[] _shardHosts;
    private readonly List<Observation>?[] _waiting; // per shard, routed while a member was unreachable
    private readonly HashSet<Address> _unreachable = new();
    private readonly List<Observation>?[] _outgoing;
    private readonly bool[] _recovering; // sent again after its host was lost; new observations wait until it answers
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
        _waiting = new List<Observation>?[shards];
        _outgoing = new List<Observation>?[shards];
        _recovering = new bool[shards];
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef region, int shards, int maxUnreleased, IngestOutput output, IngestProgress progress, TaskCompletionSource<IngestSummary> done) =>
        Akka.Actor.Props.Create(() => new Ingester(region, shards, maxUnreleased, output, progress, done));

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, InitialStateAsEvents, typeof(IReachabilityEvent), typeof(IMemberEvent));

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
                SendWaiting();
                break;
            case MemberRemoved removed:
                _unreachable.Remove(removed.Member.Address);
                Lost(removed.Member.Address);
                SendWaiting();
                break;
            case RecoveryCheckDue:
                ResendRecovering();
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
            (_outgoing[entry.Shard] ??= new List<Observation>()).Add(entry.Routed);
        }

        for (int shard = 0; shard < _shards; shard++)
        {
            if (_outgoing[shard] is not { Count: > 0 } list) continue;
            if (_unreachable.Count > 0 || _recovering[shard]) (_waiting[shard] ??= new List<Observation>()).AddRange(list);
            else Send(shard, list);
            list.Clear();
        }

        CompleteIfDone();
    }

    private void Send(int shard, List<Observation> observations, int most = MaxRouted)
    {
        for (int start = 0; start < observations.Count; start += most)
        {
            var part = observations.GetRange(start, Math.Min(most, observations.Count - start)).ToArray();
            foreach (var observation in part) _entries[observation.Position].Sent = true;
            _region.Tell(new RouteObservations(shard, Self, part), Self);
            _progress.Messages++;
        }
    }

    private void SendWaiting()
    {
        if (_unreachable.Count > 0) return;
        for (int shard = 0; shard < _shards; shard++)
        {
            if (_recovering[shard] || _waiting[shard] is not { Count: > 0 } waiting) continue;
            waiting.RemoveAll(o => !_entries.ContainsKey(o.Position)); // answered with an error meanwhile: nothing to send
            Send(shard, waiting);
            waiting.Clear();
        }
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
    /// A member was removed (downed, or left). Each shard it hosted, or that no answer has come from yet, recovers: every
    /// unreleased observation already sent to it is sent again, in order, as one message (so that it is lost or
    /// delivered whole: this node's region may not yet know the shard's host is gone, and would drop it), and the
    /// shard's new observations wait until it answers; until then, the whole set is sent again every few seconds.
    /// Copies that arrive twice are dropped by t. The shard's next home restores its last durable snapshot first.
    /// </summary>
    private void Lost(Address lost)
    {
        for (int shard = 0; shard < _shards; shard++)
        {
            if (_shardHosts[shard] is { } host && host != lost) continue;
            _shardHosts[shard] = null;
            _recovering[shard] = true;
        }

        int resent = ResendRecovering();
        _log.Warning("member {0} was removed: {1} unreleased observations sent again", lost, resent);
        Timers.StartPeriodicTimer(RecoveryTimer, RecoveryCheckDue.Instance, RecoveryCheck);
    }

    private int ResendRecovering()
    {
        int resent = 0;
        foreach (var (_, log) in _logs)
        {
            foreach (var entry in log.Entries)
            {
                if (entry.Released || !entry.Sent || !_recovering[entry.Shard]) continue;
                entry.Resent = true;
                (_outgoing[entry.Shard] ??= new List<Observation>()).Add(entry.Routed);
                resent++;
            }
        }

        bool any = false;
        for (int shard = 0; shard < _shards; shard++)
        {
            if (!_recovering[shard]) continue;
            any = true;
            if (_outgoing[shard] is not { Count: > 0 } list) continue;
            Send(shard, list, MaxResent);
            list.Clear();
        }

        if (!any) Timers.Cancel(RecoveryTimer);
        _progress.Resent += resent;
        return resent;
    }

    /// <summary>An answer came from the shard's host: a recovering shard has a live home again; what waited goes.</summary>
    private void Heard(int shard)
    {
        _shardHosts[shard] = Sender.Path.Address;
        if (!_recovering[shard]) return;
        _recovering[shard] = false;
        if (_unreachable.Count > 0 || _waiting[shard] is not { Count: > 0 } waiting) return;
        waiting.RemoveAll(o => !_entries.ContainsKey(o.Position));
        Send(shard, waiting);
        waiting.Clear();
    }

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

    private sealed class RecoveryCheckDue
    {
        public static RecoveryCheckDue Instance { get; } = new();
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
