using Akka.Actor;
using Akka.Event;

namespace LstmStreams.Persistence;

/// <summary>Starts the snapshot keeper for a pipeline: the store's plugin configured in the actor system, our
/// snapshot serializer registered, the keeper created in front of the store.</summary>
public static class SnapshotStores
{
    private static readonly object Gate = new();

    /// <summary>
    /// The keeper of <paramref name="settings"/>' store, or null when the store is <c>none</c>. For SQLite the
    /// file's folder is created. The store is first reached by the first load or write, not here.
    /// </summary>
    /// <exception cref="ArgumentException">The SQLite folder cannot be created (the message names it).</exception>
    public static IActorRef? StartKeeper(ActorSystem system, PersistenceSettings settings, StoreMetrics metrics, string name)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        var store = settings.Store;
        if (store.Kind == StoreKind.None) return null;
        Prepare(store);
        Register(system, store);
        return system.ActorOf(SnapshotKeeper.Props(system, store.PluginId, settings, metrics), name);
    }

    /// <summary>
    /// Starts <paramref name="settings"/>' store ahead of the pipeline that will use it, e.g. while a command still
    /// loads its model and opens its files: the plugin (which opens the database and creates its table) and, in
    /// front of an SQL store with the id filter on, the scan of the stored ids. A keeper started later on
    /// <paramref name="system"/> finds the scan under way or done instead of starting it with its first
    /// observation, and until it is done every new id costs a query. Best effort: a store that cannot be started
    /// here is reported by <see cref="StartKeeper"/> as usual.
    /// </summary>
    /// <param name="system">The system the pipelines will run in.</param>
    /// <param name="settings">The store and its id filter.</param>
    /// <param name="scanned">Told how many sequences the store holds under the prefix, once the scan of its ids is done
    /// (only in front of an SQL store with the id filter on, and a scan this call started).</param>
    /// <returns>Dispose once the pipelines on this store have stopped: it holds the id filter meanwhile (the last
    /// user drops it), so dispose it after them, not before.</returns>
    public static IDisposable StartEarly(ActorSystem system, PersistenceSettings settings, Action<int>? scanned = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        var store = settings.Store;
        if (store.Kind == StoreKind.None) return EarlyStart.None;
        try
        {
            Prepare(store);
        }
        catch (ArgumentException)
        {
            return EarlyStart.None; // StartKeeper reports it
        }

        Register(system, store);
        var plugin = Akka.Persistence.Persistence.Instance.Apply(system).SnapshotStoreFor(store.PluginId);
        if (store.Kind is not (StoreKind.Sqlite or StoreKind.Postgres) || !settings.IdFilter) return EarlyStart.None;
        var ids = StoredIds.Acquire(StoredIds.KeyFor(settings), out bool scan);
        if (scan)
        {
            var log = system.Log;
            plugin.Ask<StoredIdsScanned>(new ScanStoredIds(settings.PersistenceIdPrefix, ids)).ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    ids.MarkScanned();
                    scanned?.Invoke(t.Result.Count);
                    return;
                }

                ids.ScanFailed();
                log.Warning("snapshot store: reading its stored ids failed ({0}); every new sequence is looked up in the store", t.Exception?.GetBaseException().Message);
            }, TaskScheduler.Default);
        }

        return new EarlyStart(ids);
    }

    /// <summary>Our serializer for <see cref="SequenceSnapshot"/> and the store's plugin config, once per system.</summary>
    private static void Register(ActorSystem system, StoreLocation store)
    {
        lock (Gate)
        {
            var extended = (ExtendedActorSystem)system;
            if (!extended.Serialization.FindSerializerForType(typeof(SequenceSnapshot)).GetType().Equals(typeof(SequenceSnapshotSerializer)))
            {
                var serializer = new SequenceSnapshotSerializer(extended);
                extended.Serialization.AddSerializer("lstm-sequence-snapshot", serializer);
                extended.Serialization.AddSerializationMap(typeof(SequenceSnapshot), serializer);
            }

            if (store.PluginConfig() is { } plugin && !system.Settings.Config.HasPath(store.PluginId))
                system.Settings.InjectTopLevelFallback(plugin);
        }
    }

    /// <summary>The id filter held from an early start until disposed.</summary>
    private sealed class EarlyStart(StoredIds? ids) : IDisposable
    {
        public static readonly IDisposable None = new EarlyStart(null);
        private StoredIds? _ids = ids;

        public void Dispose() => Interlocked.Exchange(ref _ids, null)?.Release();
    }

    /// <summary>
    /// Checks what can be checked before a stream starts, so a mistake is an error up front rather than a
    /// failed stage: for SQLite the folder is created and the file opened (write-ahead-log mode); for PostgreSQL
    /// the connection string is parsed (the server is not contacted: a store that is down is retried later).
    /// </summary>
    /// <exception cref="ArgumentException">The store cannot be used; the message names it and the fix.</exception>
    public static void Prepare(StoreLocation store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (store.Kind == StoreKind.Sqlite)
        {
            EnsureFolder(store.Target);
            UseWriteAheadLog(store.Target);
        }
        else if (store.Kind == StoreKind.Postgres)
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(store.Target);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"store {store}: the connection string is not valid ({e.Message.Replace(store.Target, "…", StringComparison.Ordinal)}). " +
                    "Use postgres:Host=HOST;Port=5432;Username=USER;Password=…;Database=DB or postgres://USER:PASSWORD@HOST:PORT/DB.", e);
            }
        }
    }

    /// <summary>
    /// Puts the SQLite file in write-ahead-log mode (a property of the file, kept across opens): a commit then
    /// appends to the log instead of rewriting pages through a rollback journal (fewer disk flushes per
    /// commit), and loads are not blocked by a write.
    /// </summary>
    private static void UseWriteAheadLog(string path)
    {
        try
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.GetFullPath(path)}");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            throw new ArgumentException($"store sqlite:{path}: the file cannot be opened as an SQLite database ({e.Message}). Choose another path with --store sqlite:PATH.", e);
        }
    }

    private static void EnsureFolder(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (string.IsNullOrEmpty(folder)) return;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"store sqlite:{path}: the folder '{folder}' cannot be created ({e.Message}). Choose another path with --store sqlite:PATH.", e);
        }
    }
}
