using Akka.Actor;

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

        return system.ActorOf(SnapshotKeeper.Props(system, store.PluginId, settings, metrics), name);
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
