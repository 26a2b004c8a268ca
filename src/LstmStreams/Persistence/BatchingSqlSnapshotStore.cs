using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Db;
using Akka.Persistence.Sql.Extensions;
using Akka.Persistence.Sql.Snapshot;
using LinqToDB;

namespace LstmStreams.Persistence;

/// <summary>
/// Akka.Persistence.Sql's snapshot store (same tables, rows, serialization and configuration) with group
/// commit: the saves that arrive while a write is under way are written together in one transaction, and
/// the loads of the latest snapshot that arrive while a query runs are answered by one query. A commit is a
/// disk flush (~1.3 ms for SQLite here), so one per snapshot would cap the store at a few hundred
/// snapshots a second; a batch of them costs about the same as one. Two messages of its own serve the
/// <see cref="SnapshotKeeper"/>: <see cref="LoadLatestSnapshots"/> (many sequences' states in one query) and
/// <see cref="ScanStoredIds"/> (every stored id, once at start, for the keeper's <see cref="StoredIds"/>).
/// </summary>
public sealed class BatchingSqlSnapshotStore : SqlSnapshotStore
{
    /// <summary>The most snapshots written in one transaction, or loaded in one query.</summary>
    internal const int MaxBatch = 512;
    private readonly SnapshotConfig _config;
    private readonly AkkaPersistenceDataConnectionFactory _connections;
    private readonly ByteArrayLongSnapshotSerializer _serializer;
    private readonly Batcher<LongSnapshotRow, bool> _saves;
    private readonly Batcher<string, SelectedSnapshot?> _loads;

    /// <summary>Creates the store from its HOCON section (Akka.Persistence.Sql's keys).</summary>
    public BatchingSqlSnapshotStore(Akka.Configuration.Config snapshotConfig) : base(snapshotConfig)
    {
        _config = new SnapshotConfig(snapshotConfig.WithFallback(SqlPersistence.DefaultSnapshotConfiguration));
        if (_config.ProviderName.Contains("sqlserver", StringComparison.OrdinalIgnoreCase))
            throw new NotSupportedException("LstmStreams' batching snapshot store supports SQLite and PostgreSQL.");
        _connections = new AkkaPersistenceDataConnectionFactory(_config);
        _serializer = new ByteArrayLongSnapshotSerializer(Context.System.Serialization, _config);
        _saves = new Batcher<LongSnapshotRow, bool>(WriteAsync);
        _loads = new Batcher<string, SelectedSnapshot?>(ReadLatestAsync);
    }

    /// <inheritdoc />
    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken = default) =>
        _saves.Add(_serializer.Serialize(metadata, snapshot).Get());

    /// <summary>
    /// Ignored. The keeper writes one snapshot per sequence, always at sequence number 1 (an insert-or-replace,
    /// atomic in its transaction). Akka.Persistence deletes a snapshot by its metadata after a failed save, which
    /// here would delete the previous good state that the failed overwrite left intact. Deleting a sequence's
    /// state goes through <c>DeleteSnapshots</c> (by criteria), which still deletes.
    /// </summary>
    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc />
    protected override Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default) =>
        criteria.MaxSequenceNr == long.MaxValue && criteria.MaxTimeStamp == DateTime.MaxValue
            ? _loads.Add(persistenceId)
            : base.LoadAsync(persistenceId, criteria, cancellationToken);

    /// <inheritdoc />
    protected override bool ReceivePluginInternal(object message)
    {
        switch (message)
        {
            case LoadLatestSnapshots load:
                LoadManyAsync(load.PersistenceIds).PipeTo(Sender, success: results => new LatestSnapshotsLoaded(results), failure: e => new Akka.Actor.Status.Failure(e));
                return true;
            case ScanStoredIds scan:
                ScanAsync(scan).PipeTo(Sender, success: count => new StoredIdsScanned(count), failure: e => new Akka.Actor.Status.Failure(e));
                return true;
            default:
                return base.ReceivePluginInternal(message);
        }
    }

    private async Task<StoredSnapshot[]> LoadManyAsync(IReadOnlyList<string> ids)
    {
        var rows = await ReadRowsAsync(ids).ConfigureAwait(false);
        var results = new StoredSnapshot[ids.Count];
        for (int i = 0; i < ids.Count; i++)
        {
            if (!rows.TryGetValue(ids[i], out var row)) continue;
            try
            {
                results[i] = new StoredSnapshot(_serializer.Deserialize(row).Get(), null);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                results[i] = new StoredSnapshot(null, e); // that row only: the others of the query are answered
            }
        }

        return results;
    }

    private async Task<int> ScanAsync(ScanStoredIds scan)
    {
        int count = 0;
        string prefix = scan.Prefix;
        await _connections.ExecuteWithTransactionAsync(_config.ReadIsolationLevel, CancellationToken.None, (connection, token) =>
            LinqToDB.Async.AsyncExtensions.ForEachAsync(
                connection.GetTable<LongSnapshotRow>().Where(r => r.PersistenceId.StartsWith(prefix)).Select(r => r.PersistenceId),
                id =>
                {
                    scan.Into.Add(id);
                    count++;
                },
                token)).ConfigureAwait(false);
        return count;
    }

    private async Task<bool[]> WriteAsync(IReadOnlyList<LongSnapshotRow> rows)
    {
        await _connections.ExecuteWithTransactionAsync(_config.WriteIsolationLevel, CancellationToken.None, async (connection, token) =>
        {
            foreach (var row in rows) await connection.InsertOrReplaceAsync(row, cancellationToken: token);
        });
        return new bool[rows.Count];
    }

    private async Task<SelectedSnapshot?[]> ReadLatestAsync(IReadOnlyList<string> ids)
    {
        var latest = await ReadRowsAsync(ids).ConfigureAwait(false);
        var result = new SelectedSnapshot?[ids.Count];
        for (int i = 0; i < ids.Count; i++)
            result[i] = latest.TryGetValue(ids[i], out var row) ? _serializer.Deserialize(row).Get() : null;
        return result;
    }

    /// <summary>The latest row of each of <paramref name="ids"/> that has one, in one query.</summary>
    private async Task<Dictionary<string, LongSnapshotRow>> ReadRowsAsync(IReadOnlyList<string> ids)
    {
        var wanted = ids.Distinct().ToList();
        var rows = await _connections.ExecuteWithTransactionAsync(_config.ReadIsolationLevel, CancellationToken.None, (connection, token) =>
            LinqToDB.Async.AsyncExtensions.ToListAsync(connection.GetTable<LongSnapshotRow>().Where(r => wanted.Contains(r.PersistenceId)), token)).ConfigureAwait(false);
        var latest = new Dictionary<string, LongSnapshotRow>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (!latest.TryGetValue(row.PersistenceId, out var seen) || row.SequenceNumber > seen.SequenceNumber) latest[row.PersistenceId] = row;
        }

        return latest;
    }

    /// <summary>
    /// Collects requests while one batch is being processed and processes them as the next batch (at most
    /// <see cref="MaxBatch"/>): the first request of an idle batcher goes at once, later ones share a round trip.
    /// A failed batch fails each of its requests (the keeper retries them).
    /// </summary>
    private sealed class Batcher<TRequest, TResult>(Func<IReadOnlyList<TRequest>, Task<TResult[]>> process)
    {
        private readonly object _gate = new();
        private List<(TRequest Request, TaskCompletionSource<TResult> Done)> _waiting = new();
        private bool _running;

        public Task<TResult> Add(TRequest request)
        {
            var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                _waiting.Add((request, done));
                if (_running) return done.Task;
                _running = true;
            }

            _ = Task.Run(RunAsync);
            return done.Task;
        }

        private async Task RunAsync()
        {
            while (true)
            {
                List<(TRequest Request, TaskCompletionSource<TResult> Done)> batch;
                lock (_gate)
                {
                    if (_waiting.Count == 0)
                    {
                        _running = false;
                        return;
                    }

                    if (_waiting.Count <= MaxBatch)
                    {
                        batch = _waiting;
                        _waiting = new();
                    }
                    else
                    {
                        batch = _waiting.GetRange(0, MaxBatch);
                        _waiting.RemoveRange(0, MaxBatch);
                    }
                }

                try
                {
                    var requests = new TRequest[batch.Count];
                    for (int i = 0; i < requests.Length; i++) requests[i] = batch[i].Request;
                    var results = await process(requests).ConfigureAwait(false);
                    for (int i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
                }
                catch (Exception e)
                {
                    foreach (var (_, done) in batch) done.TrySetException(e);
                }
            }
        }
    }
}
