using System.CommandLine;
using Akka.Configuration;
using LstmStreams.Core.Kernels;
using LstmStreams.Settings;

namespace LstmStreams.Cli.Commands;

/// <summary>Options shared by the commands that run the runtime: a config file and flags that override it.</summary>
internal sealed class SharedOptions
{
    public Option<string?> Config { get; } = new("--config") { Description = "A HOCON file with an lstm-streams { … } section (see config/lstm-streams.conf)." };
    public Option<string?> Kernel { get; } = new("--kernel") { Description = $"Step kernel: {string.Join(", ", StepKernels.Names)} (overrides lstm-streams.kernel)." };
    public Option<int?> MaxBatchSize { get; } = new("--max-batch-size") { Description = "Largest batch per kernel call (overrides lstm-streams.max-batch-size)." };
    public Option<int?> MaxInFlight { get; } = new("--max-in-flight") { Description = "Observations admitted but not yet emitted (overrides lstm-streams.max-in-flight)." };
    public Option<string?> StatusInterval { get; } = new("--status-interval") { Description = "When stderr is not a terminal, a status line this often, e.g. 10s or 500ms (overrides lstm-streams.status-interval; default 10s)." };
    public Option<string?> Store { get; } = new("--store") { Description = "Where sequence states are kept: none, memory, sqlite:PATH or postgres:CONNECTION-STRING (overrides lstm-streams.persistence.store)." };

    /// <summary>The store when neither --store nor the config file names one (null: the library default, none).</summary>
    public string? DefaultStore { get; init; }

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(Kernel);
        command.Options.Add(MaxBatchSize);
        command.Options.Add(MaxInFlight);
        command.Options.Add(Store);
        command.Options.Add(StatusInterval);
    }

    /// <summary>The config file (or nothing) and the settings after flags are applied.</summary>
    public (Config Config, StreamingSettings Settings) Read(ParseResult parse)
    {
        string? path = parse.GetValue(Config);
        Config config = ConfigurationFactory.Empty;
        if (path is not null)
        {
            if (!File.Exists(path)) throw new ArgumentException($"config file '{path}' does not exist.");
            try
            {
                config = ConfigurationFactory.ParseString(File.ReadAllText(path));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new ArgumentException($"config file '{path}' is not valid HOCON: {e.Message}");
            }
        }

        foreach (string key in UnknownKeys(config))
            Console.Error.WriteLine($"warning: config file '{path}': {key} is not a setting and is ignored (a typo? the settings are listed in config/lstm-streams.conf).");

        StreamingSettings settings;
        try
        {
            settings = StreamingSettings.FromConfig(config);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or ConfigurationException)
        {
            // Values of the wrong form (max-batch-size = "lots", idle-timeout = forever) surface as the parser's
            // FormatException, which does not name the key: name the file and where the keys are documented.
            string what = e is ArgumentException and not ArgumentNullException ? e.Message : $"a value has the wrong type or form ({e.Message})";
            string where = path is null ? "the configuration" : $"config file '{path}'";
            throw new ArgumentException($"{where}: {what} Each key's type and default are in config/lstm-streams.conf.", e);
        }

        if (parse.GetValue(Kernel) is { } kernel)
        {
            if (!StepKernels.Names.Contains(kernel.Trim().ToLowerInvariant()))
                throw new ArgumentException($"--kernel '{kernel}' is not a kernel backend: use one of {string.Join(", ", StepKernels.Names)}.");
            settings = settings with { Kernel = StepKernels.Parse(kernel) };
        }

        if (parse.GetValue(StatusInterval) is { } interval)
        {
            try
            {
                settings = settings with { StatusInterval = ConfigurationFactory.ParseString($"d = {interval}").GetTimeSpan("d") };
            }
            catch (Exception e) when (e is FormatException or ConfigurationException or ArgumentException)
            {
                throw new ArgumentException($"--status-interval '{interval}' is not a duration: use e.g. 10s, 500ms or 1m.", e);
            }
        }

        if (parse.GetValue(MaxBatchSize) is { } batch) settings = settings with { MaxBatchSize = batch };
        if (parse.GetValue(MaxInFlight) is { } inFlight) settings = settings with { MaxInFlight = inFlight };
        string? store = parse.GetValue(Store) ?? (config.HasPath("lstm-streams.persistence.store") ? null : DefaultStore);
        if (store is not null)
        {
            try
            {
                settings = settings with { Persistence = settings.Persistence with { Store = Persistence.StoreLocation.Parse(store) } };
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException("--store: " + e.Message, e);
            }
        }

        settings.Validate();
        if (!StepKernels.IsAvailable(settings.Kernel))
            throw new ArgumentException($"the {settings.Kernel.ToString().ToLowerInvariant()} kernel needs the system library libopenblas.so.0, which was not found: install it (Debian/Ubuntu: apt-get install libopenblas0) or use --kernel auto.");
        return (config, settings);
    }

    /// <summary>
    /// Keys with a plain value in the user's <c>lstm-streams</c> section that the settings do not have: a misspelt
    /// key (<c>max-batch-sise</c>) would otherwise be ignored in silence. Objects are left alone: they may be
    /// dispatchers of the user's own that a setting names.
    /// </summary>
    internal static IReadOnlyList<string> UnknownKeys(Config config)
    {
        if (config.IsEmpty || !config.HasPath("lstm-streams")) return [];
        var known = StreamingSettings.ReferenceConfig.GetConfig("lstm-streams").AsEnumerable().Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        return config.GetConfig("lstm-streams").AsEnumerable()
            .Where(kv => !known.Contains(kv.Key) && !kv.Value.IsObject())
            .Select(kv => "lstm-streams." + kv.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The store named after <paramref name="modelPath"/> (<c>{model}</c>) and checked before the stream
    /// starts (<see cref="Persistence.SnapshotStores.Prepare"/>).</summary>
    /// <exception cref="ArgumentException">The store cannot be used; the message names it.</exception>
    public static StreamingSettings WithStoreFor(StreamingSettings settings, string modelPath)
    {
        var store = settings.Persistence.Store.ForModel(modelPath);
        Persistence.SnapshotStores.Prepare(store);
        return settings with { Persistence = settings.Persistence with { Store = store } };
    }
}
