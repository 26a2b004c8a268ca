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

        var settings = StreamingSettings.FromConfig(config);
        if (parse.GetValue(Kernel) is { } kernel) settings = settings with { Kernel = StepKernels.Parse(kernel) };
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
        return (config, settings);
    }
}
