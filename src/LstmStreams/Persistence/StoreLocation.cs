using Akka.Configuration;

namespace LstmStreams.Persistence;

/// <summary>The kinds of snapshot store.</summary>
public enum StoreKind
{
    /// <summary>No store: a sequence's state lives only while its actor does.</summary>
    None,

    /// <summary>Akka.Persistence's in-memory snapshot store: survives passivation, not a restart.</summary>
    Memory,

    /// <summary>An embedded SQLite file through Akka.Persistence.Sql (Microsoft.Data.Sqlite).</summary>
    Sqlite,

    /// <summary>A PostgreSQL server through Akka.Persistence.Sql (Npgsql).</summary>
    Postgres,
}

/// <summary>
/// Where sequence states are kept, parsed from <c>none</c>, <c>memory</c>, <c>sqlite:PATH</c> or
/// <c>postgres:CONNECTION-STRING</c>, and the Akka.Persistence snapshot-store plugin that serves it.
/// </summary>
public sealed record StoreLocation(StoreKind Kind, string Target)
{
    /// <summary>No store.</summary>
    public static StoreLocation None { get; } = new(StoreKind.None, "");

    /// <summary>The SQLite file <c>run</c> and <c>demo</c> use unless told otherwise: one per model file, so
    /// two models never meet each other's sequences (<c>{model}</c> is the model file's name).</summary>
    public const string DefaultSqlitePath = "data/{model}.db";

    /// <summary>This store with <c>{model}</c> in its target replaced by the model file's name without extension.</summary>
    public StoreLocation ForModel(string modelPath) =>
        Target.Contains("{model}", StringComparison.Ordinal)
            ? this with { Target = Target.Replace("{model}", Path.GetFileNameWithoutExtension(modelPath), StringComparison.Ordinal) }
            : this;

    /// <summary>Parses a store string; the message of a bad one lists the forms.</summary>
    /// <exception cref="ArgumentException">Not one of the forms.</exception>
    public static StoreLocation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        string scheme = (colon < 0 ? trimmed : trimmed[..colon]).ToLowerInvariant();
        string rest = colon < 0 ? "" : trimmed[(colon + 1)..].Trim();
        return scheme switch
        {
            "none" when rest.Length == 0 => None,
            "memory" when rest.Length == 0 => new StoreLocation(StoreKind.Memory, ""),
            "sqlite" => new StoreLocation(StoreKind.Sqlite, rest.Length == 0 ? DefaultSqlitePath : rest),
            "postgres" or "postgresql" when rest.StartsWith("//", StringComparison.Ordinal) => new StoreLocation(StoreKind.Postgres, FromUri(trimmed)),
            "postgres" or "postgresql" when rest.Length > 0 => new StoreLocation(StoreKind.Postgres, rest),
            _ => throw new ArgumentException(
                $"store \"{text}\" is not understood: use none, memory, sqlite:PATH (e.g. sqlite:{DefaultSqlitePath}) " +
                "or postgres:CONNECTION-STRING (e.g. \"postgres:Host=127.0.0.1;Port=5432;Username=lstm;Password=…;Database=lstm\")."),
        };
    }

    /// <summary>The store as it can be shown or logged: a PostgreSQL password is masked.</summary>
    public override string ToString() => Kind switch
    {
        StoreKind.None => "none",
        StoreKind.Memory => "memory",
        StoreKind.Sqlite => "sqlite:" + Target,
        _ => "postgres:" + MaskPassword(Target),
    };

    /// <summary>The HOCON path of this store's snapshot-store plugin (one per distinct store in a system).</summary>
    internal string PluginId => Kind == StoreKind.Memory
        ? "akka.persistence.snapshot-store.inmem"
        : "lstm-streams.stores.s" + ((uint)StringComparer.Ordinal.GetHashCode(Kind + "|" + Target)).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The plugin's configuration at <see cref="PluginId"/> (Akka.Persistence.Sql for SQLite and
    /// PostgreSQL: our connection, provider and table mapping over the plugin's defaults); null for memory and none.</summary>
    internal Config? PluginConfig()
    {
        if (Kind is StoreKind.None or StoreKind.Memory) return null;
        string connection, provider, mapping;
        if (Kind == StoreKind.Sqlite)
        {
            string full = Path.GetFullPath(Target);
            connection = $"Data Source={full};Pooling=True";
            provider = "SQLite.MS";
            mapping = "sqlite";
        }
        else
        {
            connection = Target;
            provider = "PostgreSQL.15";
            mapping = "postgresql";
        }

        // Only our keys, every value quoted: SqlSnapshotStore falls back to its own defaults
        // (SqlPersistence.DefaultSnapshotConfiguration) and Akka.Persistence to snapshot-store-plugin-fallback.
        // (Round-tripping the defaults through Config.ToString is not safe: it writes "" and null as nothing and
        // a string without spaces unquoted, so the next key became a value and "Host=…;Port=…" failed to parse.)
        var defaults = Akka.Persistence.Sql.SqlPersistence.DefaultSnapshotConfiguration;
        return ConfigurationFactory.ParseString(string.Join('\n',
            $"{PluginId} {{",
            // Akka.Persistence.Sql's store with group commit and batched loads (BatchingSqlSnapshotStore).
            "class = " + Quote(typeof(BatchingSqlSnapshotStore).AssemblyQualifiedName!.Split(',')[0] + ", LstmStreams"),
            "plugin-dispatcher = " + Quote(defaults.GetString("plugin-dispatcher")),
            "plugin-id = " + Quote(PluginId),
            "connection-string = " + Quote(connection),
            "provider-name = " + Quote(provider),
            "table-mapping = " + Quote(mapping),
            "auto-initialize = true",
            "warn-on-auto-init-fail = false",
            // Akka.Persistence's circuit breaker (5 failures open it for 60 s) would hold back the keeper's own
            // retries for a minute after the store is back and replace every failure's cause with "Circuit
            // Breaker is open": the keeper already backs off, so the breaker never opens.
            "circuit-breaker.max-failures = " + int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "}"));
    }

    /// <summary>A libpq-style URI (<c>postgres://user:password@host:port/database?sslmode=require</c>) as an
    /// Npgsql connection string.</summary>
    private static string FromUri(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException($"store \"{MaskUriPassword(text)}\" is not a valid PostgreSQL URI: use postgres://USER:PASSWORD@HOST:PORT/DATABASE or postgres:Host=…;Username=…;Database=….");
        var parts = new List<string> { "Host=" + uri.Host };
        if (!uri.IsDefaultPort && uri.Port > 0) parts.Add("Port=" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (uri.UserInfo.Length > 0)
        {
            string[] user = uri.UserInfo.Split(':', 2);
            parts.Add("Username=" + Uri.UnescapeDataString(user[0]));
            if (user.Length == 2) parts.Add("Password=" + Uri.UnescapeDataString(user[1]));
        }

        string database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length > 0) parts.Add("Database=" + database);
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]).ToLowerInvariant() switch
            {
                "sslmode" => "SSL Mode",
                var other => other,
            };
            parts.Add(key + "=" + (kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : ""));
        }

        return string.Join(';', parts);
    }

    private static string MaskUriPassword(string text)
    {
        int at = text.IndexOf('@', StringComparison.Ordinal), colon = text.IndexOf(':', text.IndexOf("//", StringComparison.Ordinal) + 2);
        return at > 0 && colon > 0 && colon < at ? text[..(colon + 1)] + "***" + text[at..] : text;
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string MaskPassword(string connection)
    {
        var parts = connection.Split(';');
        for (int i = 0; i < parts.Length; i++)
        {
            int eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && parts[i][..eq].Trim().Equals("password", StringComparison.OrdinalIgnoreCase)) parts[i] = parts[i][..eq] + "=***";
        }

        return string.Join(';', parts);
    }
}
