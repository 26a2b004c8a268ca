using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace LstmStreams.Persistence;

/// <summary>
/// Between the sequences and an Akka.Persistence snapshot store. Saves are coalesced per sequence (the
/// latest state replaces one not yet written) and written with at most <c>parallelism</c> store
/// operations outstanding, never two at once for one sequence, so nobody waits on the store: the compute
/// stage and the actors only Tell. A load answers from a save not yet acknowledged when there is one
/// (read-your-writes across passivation). A failed or timed-out operation is reported, counted and
/// retried after a backoff that doubles up to a cap; states waiting to be written stay in memory.
/// In front of an SQL store (<see cref="BatchingSqlSnapshotStore"/>) the loads waiting are sent as one
/// <see cref="LoadLatestSnapshots"/> (one query for up to 512 sequences), and with <c>id-filter = on</c> the
/// load of an id the store has never held is answered at once (<see cref="StoredIds"/>).
/// </summary>
public sealed class SnapshotKeeper : UntypedActor, IWithTimers
{
    private const string ResumeTimer = "resume";
    private const int MaxLoadBatches = 2; // one query running, the next one filling meanwhile
    private readonly IActorRef _store;
    private readonly PersistenceSettings _settings;
    private readonly StoreMetrics _metrics;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, SequenceSnapshot?> _latest = new(StringComparer.Ordinal); // saved or deleted (null), not yet acknowledged
    private readonly HashSet<string> _writing = new(StringComparer.Ordinal);
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly Queue<string> _writes = new();
    private readonly Queue<(string Id, IActorRef ReplyTo)> _loads = new();
    private readonly List<IActorRef> _flushWaiters = new();
    private readonly Dictionary<string, Op> _savesInFlight = new(StringComparer.Ordinal); // by persistence id
    private int _outstanding;
    private TimeSpan _backoff = TimeSpan.Zero;
    private bool _paused;
    private bool _stopWhenFlushed;
    private readonly bool _batchLoads; // the store answers LoadLatestSnapshots
    private readonly StoredIds? _storedIds;
    private int _loadBatches; // LoadLatestSnapshots outstanding

    /// <summary>Creates a keeper in front of the snapshot store <paramref name="store"/>.</summary>
    public SnapshotKeeper(IActorRef store, PersistenceSettings settings, StoreMetrics metrics)
    {
        _store = store;
        _settings = settings;
        _metrics = metrics;
        _batchLoads = settings.Store.Kind is StoreKind.Sqlite or StoreKind.Postgres;
        if (_batchLoads && settings.IdFilter)
        {
            _storedIds = StoredIds.Acquire(StoredIds.KeyFor(settings), out bool scan);
            if (scan) _store.Tell(new ScanStoredIds(settings.PersistenceIdPrefix, _storedIds), Self);
        }
    }

    /// <inheritdoc />
    protected override void PostStop() => _storedIds?.Release();

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props of a keeper in front of the snapshot-store plugin <paramref name="pluginId"/> of <paramref name="system"/>.</summary>
    public static Props Props(ActorSystem system, string pluginId, PersistenceSettings settings, StoreMetrics metrics)
    {
        var store = Akka.Persistence.Persistence.Instance.Apply(system).SnapshotStoreFor(pluginId);
        return Akka.Actor.Props.Create(() => new SnapshotKeeper(store, settings, metrics));
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case LoadSequence load:
                if (_latest.TryGetValue(load.SequenceId, out var latest))
                {
                    _metrics.OnLoad(latest is not null);
                    Sender.Tell(new SequenceLoaded(load.SequenceId, latest));
                }
                else if (_storedIds is { IsScanned: true } ids && !ids.MayContain(PersistenceId(load.SequenceId)))
                {
                    _metrics.OnLoad(false, neverStored: true);
                    Sender.Tell(new SequenceLoaded(load.SequenceId, null));
                }
                else
                {
                    _loads.Enqueue((load.SequenceId, Sender));
                }

                break;
            case SaveSequence save:
                Enqueue(save.SequenceId, save.Snapshot);
                break;
            case DeleteSequence delete:
                Enqueue(delete.SequenceId, null);
                break;
            case FlushSequences:
                _flushWaiters.Add(Sender);
                break;
            case StopWhenFlushed:
                _stopWhenFlushed = true;
                break;
            case Done done:
                OnDone(done);
                break;
            case SaveSnapshotSuccess saved when _savesInFlight.Remove(saved.Metadata.PersistenceId, out var savedOp):
                OnDone(new Done(savedOp, saved));
                break;
            case SaveSnapshotFailure failed when _savesInFlight.Remove(failed.Metadata.PersistenceId, out var failedOp):
                OnDone(new Done(failedOp, failed));
                break;
            case Resume:
                _paused = false;
                break;
            case StoredIdsScanned scanned when _storedIds is not null:
                _storedIds.MarkScanned();
                _log.Debug("snapshot store: {0} stored ids read; loads of other ids are answered without a query", scanned.Count);
                break;
            case Status.Failure { Cause: var cause } when _storedIds is not null:
                // Only the scan is answered with a Status.Failure (the other operations go through Done).
                _storedIds.ScanFailed();
                _log.Warning("snapshot store: reading its stored ids failed ({0}); every new sequence is looked up in the store", cause.GetBaseException().Message);
                break;
            default:
                Unhandled(message);
                return;
        }

        Pump();
    }

    private void Enqueue(string id, SequenceSnapshot? snapshot)
    {
        _latest[id] = snapshot;
        if (snapshot is not null) _storedIds?.Add(PersistenceId(id)); // before the write is sent: never a false "no"
        if (!_writing.Contains(id) && _queued.Add(id)) _writes.Enqueue(id);
        _metrics.SetPending(_latest.Count);
    }

    /// <summary>Starts operations while there is room: loads first (a sequence waits on each), then writes.</summary>
    private void Pump()
    {
        while (!_paused && _outstanding < _settings.Parallelism)
        {
            if (_batchLoads && _loads.Count > 0 && _loadBatches < MaxLoadBatches)
            {
                StartLoadBatch();
            }
            else if (!_batchLoads && _loads.TryDequeue(out var load))
            {
                if (_latest.TryGetValue(load.Id, out var latest))
                {
                    _metrics.OnLoad(latest is not null);
                    load.ReplyTo.Tell(new SequenceLoaded(load.Id, latest));
                    continue;
                }

                Start(new Op(OpKind.Load, load.Id, null, load.ReplyTo),
                    new LoadSnapshot(PersistenceId(load.Id), SnapshotSelectionCriteria.Latest, long.MaxValue));
            }
            else if (_writes.TryDequeue(out string? id))
            {
                _queued.Remove(id);
                var snapshot = _latest[id];
                _writing.Add(id);
                object request = snapshot is null
                    ? new DeleteSnapshots(PersistenceId(id), SnapshotSelectionCriteria.Latest)
                    : new SaveSnapshot(new SnapshotMetadata(PersistenceId(id), 1, DateTime.UtcNow), snapshot);
                Start(new Op(snapshot is null ? OpKind.Delete : OpKind.Save, id, snapshot, null), request);
            }
            else
            {
                break;
            }
        }

        if (_latest.Count == 0 && _flushWaiters.Count > 0)
        {
            foreach (var waiter in _flushWaiters) waiter.Tell(SequencesFlushed.Instance);
            _flushWaiters.Clear();
        }

        if (_stopWhenFlushed && _latest.Count == 0 && _outstanding == 0) Context.Stop(Self);
    }

    /// <summary>Sends the loads waiting (up to the store's batch) as one query; those answered meanwhile by a
    /// save not yet written are answered from it.</summary>
    private void StartLoadBatch()
    {
        var batch = new List<(string Id, IActorRef ReplyTo)>(Math.Min(_loads.Count, BatchingSqlSnapshotStore.MaxBatch));
        var ids = new List<string>(batch.Capacity);
        while (batch.Count < BatchingSqlSnapshotStore.MaxBatch && _loads.TryDequeue(out var load))
        {
            if (_latest.TryGetValue(load.Id, out var latest))
            {
                _metrics.OnLoad(latest is not null);
                load.ReplyTo.Tell(new SequenceLoaded(load.Id, latest));
                continue;
            }

            batch.Add(load);
            ids.Add(PersistenceId(load.Id));
        }

        if (batch.Count == 0) return;
        _loadBatches++;
        Start(new Op(OpKind.LoadBatch, "", null, null) { Loads = batch }, new LoadLatestSnapshots(ids));
    }

    private void Start(Op op, object request)
    {
        _outstanding++;
        if (request is SaveSnapshot save)
        {
            // A save's reply names its persistence id, and one write per sequence is in flight at most: told
            // directly, without an Ask's temporary actor and timer (the store's own call timeout still answers).
            _savesInFlight.Add(save.Metadata.PersistenceId, op);
            _store.Tell(save, Self);
            return;
        }

        var self = Self;
        _store.Ask<object>(request, _settings.OperationTimeout).ContinueWith(
            task => self.Tell(new Done(op, task.IsCompletedSuccessfully ? task.Result : task.Exception?.GetBaseException() ?? new TimeoutException())),
            TaskContinuationOptions.ExecuteSynchronously);
    }

    private void OnDone(Done done)
    {
        _outstanding--;
        var op = done.Op;
        if (op.Kind == OpKind.LoadBatch)
        {
            _loadBatches--;
            if (done.Reply is LatestSnapshotsLoaded loaded)
            {
                _backoff = TimeSpan.Zero;
                for (int i = 0; i < op.Loads!.Count; i++)
                {
                    var (id, replyTo) = op.Loads[i];
                    var result = loaded.Results[i];
                    if (result.Unreadable is { } unreadable)
                    {
                        _metrics.OnLoad(false);
                        replyTo.Tell(new SequenceLoaded(id, null, $"its stored state cannot be read: {unreadable.GetBaseException().Message}"));
                    }
                    else
                    {
                        AnswerLoad(id, replyTo, result.Selected);
                    }
                }
            }
            else
            {
                Failed(op, done.Reply is Status.Failure f ? f.Cause.GetBaseException().Message : done.Reply is Exception e ? e.GetBaseException().Message : $"unexpected reply {done.Reply?.GetType().Name}");
            }

            return;
        }

        string? failure = done.Reply switch
        {
            LoadSnapshotResult or SaveSnapshotSuccess or DeleteSnapshotsSuccess => null,
            LoadSnapshotFailed f => f.Cause.GetBaseException().Message,
            SaveSnapshotFailure f => f.Cause.GetBaseException().Message,
            DeleteSnapshotsFailure f => f.Cause.GetBaseException().Message,
            Exception e => e.GetBaseException().Message,
            var other => $"unexpected reply {other?.GetType().Name}",
        };
        if (op.Kind == OpKind.Load && done.Reply is LoadSnapshotFailed { Cause: var cause } && IsUnreadable(cause))
        {
            // Not the store's fault: retrying cannot help. The sequence decides (refuse, or start fresh).
            _metrics.OnLoad(false);
            op.ReplyTo!.Tell(new SequenceLoaded(op.Id, null, $"its stored state cannot be read: {cause.GetBaseException().Message}"));
            return;
        }

        if (failure is not null)
        {
            Failed(op, failure);
            return;
        }

        _backoff = TimeSpan.Zero;
        switch (op.Kind)
        {
            case OpKind.Load:
                AnswerLoad(op.Id, op.ReplyTo!, ((LoadSnapshotResult)done.Reply).Snapshot);
                break;
            default:
                if (op.Kind == OpKind.Save) _metrics.OnWritten();
                else _metrics.OnDeleted();
                _writing.Remove(op.Id);
                if (ReferenceEquals(_latest[op.Id], op.Snapshot) && !_queued.Contains(op.Id)) _latest.Remove(op.Id);
                else if (_queued.Add(op.Id)) _writes.Enqueue(op.Id); // a newer state arrived meanwhile
                _metrics.SetPending(_latest.Count);
                break;
        }
    }

    /// <summary>Answers a load from the store's answer, unless a save not yet written has arrived meanwhile.</summary>
    private void AnswerLoad(string id, IActorRef replyTo, SelectedSnapshot? selected)
    {
        if (!_latest.TryGetValue(id, out var snapshot) && selected?.Snapshot is { } stored)
        {
            snapshot = stored as SequenceSnapshot;
            if (snapshot is null)
            {
                _metrics.OnLoad(false);
                replyTo.Tell(new SequenceLoaded(id, null, $"its stored state is a {stored.GetType().Name}, not an LstmStreams sequence state (is the persistence id prefix shared with another application?)"));
                return;
            }
        }

        _metrics.OnLoad(snapshot is not null);
        replyTo.Tell(new SequenceLoaded(id, snapshot));
    }

    private void Failed(Op op, string failure)
    {
        _backoff = _backoff == TimeSpan.Zero ? _settings.RetryMinBackoff : TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, _settings.RetryMaxBackoff.Ticks));
        string what = op.Kind switch { OpKind.Load => "load", OpKind.LoadBatch => "load", OpKind.Save => "write", _ => "delete" };
        string id = op.Loads is { } loads ? loads[0].Id : op.Id;
        string more = op.Loads is { Count: > 1 } ? $" (and {op.Loads.Count - 1} more sequences in the same query)" : "";
        _metrics.OnFailure($"{what} of sequence '{id}' failed: {failure}{more}");
        _log.Warning("snapshot store: {0} of sequence '{1}' failed ({2}){3}; retrying in {4} ms; {5} states wait in memory",
            what, id, failure, more, (long)_backoff.TotalMilliseconds, _latest.Count);
        if (op.Loads is { } failedLoads)
        {
            foreach (var load in failedLoads) _loads.Enqueue(load);
        }
        else if (op.Kind == OpKind.Load)
        {
            _loads.Enqueue((op.Id, op.ReplyTo!));
        }
        else
        {
            _writing.Remove(op.Id);
            if (_queued.Add(op.Id)) _writes.Enqueue(op.Id); // the latest state for it is still in _latest
        }

        _paused = true;
        Timers.StartSingleTimer(ResumeTimer, Resume.Instance, _backoff);
    }

    private static bool IsUnreadable(Exception cause)
    {
        for (var e = cause; e is not null; e = e.InnerException)
        {
            if (e is System.Runtime.Serialization.SerializationException or InvalidCastException) return true;
        }

        return false;
    }

    private string PersistenceId(string sequenceId) => _settings.PersistenceIdPrefix + sequenceId;

    private enum OpKind
    {
        Load,
        LoadBatch,
        Save,
        Delete,
    }

    private sealed record Op(OpKind Kind, string Id, SequenceSnapshot? Snapshot, IActorRef? ReplyTo)
    {
        public IReadOnlyList<(string Id, IActorRef ReplyTo)>? Loads { get; init; }
    }

    private sealed record Done(Op Op, object Reply);

    private sealed class Resume
    {
        public static Resume Instance { get; } = new();
    }
}
