using System.CommandLine;
using System.Globalization;
using LstmStreams.Cli.Running;
using LstmStreams.Core.Import;
using LstmStreams.Formats;
using LstmStreams.Pipeline;

namespace LstmStreams.Cli.Commands;

/// <summary><c>lstm-streams run</c>: stream observations of many sequences through a model.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model: a PyTorch state_dict saved with torch.save (.pt) or as .safetensors.", Required = true };
        var input = new Option<string>("--input") { Description = "Observations: a file, - for stdin, or mqtt://HOST:PORT/FILTER (mqtts:// for TLS; e.g. sensors/+/obs).", DefaultValueFactory = _ => "-" };
        var output = new Option<string>("--output") { Description = "Predictions: a file, - for stdout, or mqtt://HOST:PORT/TEMPLATE (e.g. sensors/{seq}/pred).", DefaultValueFactory = _ => "-" };
        var errors = new Option<string?>("--errors") { Description = "Error records (JSONL) for rejected lines; default stderr." };
        var format = new Option<string?>("--format") { Description = "Input format: jsonl or csv (default: from the file extension, else jsonl)." };
        var outputFormat = new Option<string?>("--output-format") { Description = "Output format: jsonl or csv (default: from the output file's extension, else jsonl)." };
        var features = new Option<string?>("--features") { Description = "Named fields (JSON) or columns (CSV) that are the model's inputs, in its input order, e.g. temp,rpm (config lstm-streams.input.features; default: the model's feature names, else the x array / the other CSV columns)." };
        var seqField = new Option<string?>("--seq-field") { Description = "The field or column holding the sequence id (default seq)." };
        var tField = new Option<string?>("--t-field") { Description = "The field or column holding t: an integer, or an ISO-8601 time (default t)." };
        var tUnit = new Option<string?>("--t-unit") { Description = "What an ISO-8601 t becomes: ms (default), s, us or ns since 1970-01-01Z." };
        var head = new Option<string?>("--head") { Description = "State_dict prefix of the output head when several qualify (or 'none')." };
        var maxErrors = new Option<long?>("--max-errors") { Description = "Stop, with exit code 6, once more than this many lines became error records (default: no limit)." };
        var raw = new Option<bool>("--raw") { Description = "Ignore the model file's input and output scaling (feature_mean/std, target_mean/std): feed x as it is and write the model's own y." };
        var shared = new SharedOptions { DefaultStore = "sqlite:" + Persistence.StoreLocation.DefaultSqlitePath };
        var command = new Command("run", "Stream observations of many interleaved sequences through a model; one prediction per observation.")
        {
            model, input, output, errors, format, outputFormat, features, seqField, tField, tUnit, head, raw, maxErrors,
        };
        shared.AddTo(command);
        command.SetAction(parse => Execute(new RunOptions(parse.GetValue(model)!, parse.GetValue(input)!, parse.GetValue(output)!)
        {
            Errors = parse.GetValue(errors), Format = parse.GetValue(format), OutputFormat = parse.GetValue(outputFormat), Head = parse.GetValue(head),
            Features = parse.GetValue(features), SequenceField = parse.GetValue(seqField), TimeField = parse.GetValue(tField), TimeUnit = parse.GetValue(tUnit), Raw = parse.GetValue(raw),
            MaxErrors = parse.GetValue(maxErrors),
        }, () => shared.Read(parse)));
        return command;
    }

    /// <summary>
    /// Where the sequences' state comes from, said at start on stderr whether or not it is a terminal (a script re-running
    /// a command would otherwise continue the states of the first run without a word). With <paramref name="count"/>
    /// (the scan of an SQL store's ids) the line says how many are stored; without, an SQL store's line waits for it
    /// (empty) unless the store is not scanned (id filter off).
    /// </summary>
    internal static string StateNotice(Settings.StreamingSettings settings, int? count)
    {
        var persistence = settings.Persistence;
        var store = persistence.Store;
        bool scanned = store.Kind is Persistence.StoreKind.Sqlite or Persistence.StoreKind.Postgres && persistence.IdFilter;
        if (count is { } n)
        {
            return n == 0
                ? $"state: {store} holds no sequence under prefix '{persistence.PersistenceIdPrefix}': every sequence starts from zeros"
                : string.Create(CultureInfo.InvariantCulture,
                    $"state: {store} holds {n:N0} sequences under prefix '{persistence.PersistenceIdPrefix}': observations of those continue them (--store none for a fresh run)");
        }

        return store.Kind switch
        {
            Persistence.StoreKind.None => "state: none: every sequence starts from zeros, nothing is kept",
            Persistence.StoreKind.Memory => "state: memory: kept for this run only",
            _ when scanned => "",
            _ => $"state: {store}: observations of sequences stored there continue them (--store none for a fresh run)",
        };
    }

    /// <summary>One line on what the store did, e.g. for the end of a run.</summary>
    internal static string StoreSummary(Settings.StreamingSettings settings, Pipeline.PipelineMetrics metrics)
    {
        var store = metrics.Store;
        string failures = store.Failures > 0 ? string.Create(CultureInfo.InvariantCulture, $", {store.Failures:N0} store failures (last: {store.LastFailure})") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"state: {settings.Persistence.Store}: {store.Restored:N0} sequences resumed, {store.Written:N0} snapshots written, {store.Deleted:N0} deleted{failures} (--store none for a stateless run)");
    }

    internal static int Execute(string modelPath, string inputPath, string outputPath, string? errorsPath, string? format, string? head,
        Func<(Akka.Configuration.Config, Settings.StreamingSettings)> readSettings) =>
        Execute(new RunOptions(modelPath, inputPath, outputPath) { Errors = errorsPath, Format = format, Head = head }, readSettings);

    /// <summary>Runs <paramref name="options"/>; returns the exit code. <paramref name="onDone"/> receives the
    /// summary of a file run that completed (the benchmark reads it).</summary>
    internal static int Execute(RunOptions options, Func<(Akka.Configuration.Config, Settings.StreamingSettings)> readSettings, Action<RunSummary>? onDone = null)
    {
        Akka.Configuration.Config config;
        Settings.StreamingSettings settings;
        try
        {
            (config, settings) = readSettings();
            settings = SharedOptions.WithStoreFor(settings, options.Model);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        // The actor system and the store (its plugin, the scan of its ids) start on another thread while this one
        // loads the model and opens the files: their first use (JIT) was most of a short run's time into SQLite.
        var starting = Task.Run(() =>
        {
            var system = StreamRunner.CreateSystem(config);
            return (System: system, Store: Persistence.SnapshotStores.StartEarly(system, settings.Persistence,
                count => Console.Error.WriteLine(StateNotice(settings, count))));
        });
        if (StateNotice(settings, count: null) is { Length: > 0 } notice) Console.Error.WriteLine(notice);
        try
        {
            return Execute(options, config, settings, starting, onDone);
        }
        finally
        {
            // Terminated already when a stream ran; here too when the command stopped before (a bad model or input).
            var (system, store) = starting.GetAwaiter().GetResult();
            system.Terminate().Wait(TimeSpan.FromSeconds(3));
            store.Dispose();
        }
    }

    private static int Execute(RunOptions options, Akka.Configuration.Config config, Settings.StreamingSettings settings,
        Task<(Akka.Actor.ActorSystem System, IDisposable Store)> starting, Action<RunSummary>? onDone)
    {
        Core.Model.RecurrentModel loaded;
        try
        {
            loaded = ModelLoader.Load(options.Model, options.Head);
            if (options.Raw) loaded = loaded.WithoutScaling();
        }
        catch (ModelFormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        if (loaded.IgnoredTensors.Count > 0)
            Console.Error.WriteLine($"warning: model file '{options.Model}' has tensors the streamed model does not use: {string.Join(", ", loaded.IgnoredTensors.Take(10))}{(loaded.IgnoredTensors.Count > 10 ? ", …" : "")}. " +
                "If they are part of the network's forward path (e.g. a second Linear after the head), the predictions will differ from PyTorch.");

        InputFormat inputFormat;
        OutputFormat outputFormat;
        InputFields fields;
        Mqtt.MqttSettings? mqtt = null;
        bool mqttIn = MqttRunner.IsAddress(options.Input), mqttOut = MqttRunner.IsAddress(options.Output);
        try
        {
            fields = options.Fields(config, loaded);
            if (mqttIn || mqttOut) mqtt = MqttRunner.Settings(config, options.Input, options.Output) with { Fields = fields };
            inputFormat = FileInput.Guess(options.Input, options.Format);
            outputFormat = FileInput.GuessOutput(options.Output, options.OutputFormat);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        JsonlWriter errorWriter;
        try
        {
            errorWriter = new JsonlWriter(options.Errors is null ? Console.OpenStandardError() : FileInput.CreateOutput(options.Errors), ownsStream: options.Errors is not null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: error records file '{options.Errors}' cannot be written: {e.Message} Check the path given with --errors.");
            return 4;
        }

        using var errorsOwner = errorWriter;
        ObservationReader? reader = null;
        try
        {
            if (!mqttIn) reader = FileInput.Open(options.Input, inputFormat, fields, loaded.InputSize, errorWriter.Write, notice => Console.Error.WriteLine($"note: {notice}"));
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 3;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: input '{options.Input}' cannot be read: {e.Message}");
            return 3;
        }

        PredictionWriter? predictions = null;
        try
        {
            if (!mqttOut)
                predictions = new PredictionWriter(options.Output == "-" ? Console.OpenStandardOutput() : FileInput.CreateOutput(options.Output), outputFormat, loaded.OutputSize,
                    ownsStream: options.Output != "-");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reader?.Dispose();
            Console.Error.WriteLine($"error: output '{options.Output}' cannot be written: {e.Message} Check the path given with --output.");
            return 4;
        }

        using var predictionsOwner = predictions;
        var system = starting.GetAwaiter().GetResult().System; // terminated by the caller, with a bound: a source blocked reading an idle pipe never stops
        // Ctrl-C and SIGTERM stop reading input; what was admitted is emitted and every state is written.
        using var cancel = new StopSignals("emitting what was admitted and writing sequence states");
        try
        {
            // A broker in: until Ctrl-C or SIGTERM, out to the broker too or to the file (predictions is null then).
            if (mqttIn) return MqttRunner.Run(system, loaded, settings, mqtt!, errorWriter, Progress.ForStderr("run", settings.StatusInterval), cancel.Token, predictions, options.Output == "-" ? "stdout" : options.Output);
            if (mqttOut) return MqttRunner.RunFromFile(system, loaded, settings, mqtt!, reader!.Groups(LstmStream.MaxGroupSize(settings)), errorWriter, Progress.ForStderr("run", settings.StatusInterval), cancel.Token);
            var summary = StreamRunner.Run(system, loaded, settings, reader!.Groups(LstmStream.MaxGroupSize(settings)), predictions!, errorWriter,
                Progress.ForStderr("run", settings.StatusInterval), cancel.Token, () => reader!.Errors, options.MaxErrors);
            if (!Console.IsErrorRedirected)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"done: {summary.Predictions:N0} predictions, {summary.Errors:N0} rejected lines ({summary.Metrics.Duplicates:N0} duplicates), {summary.ObservationsPerSecond:N0} obs/s, mean batch {summary.Metrics.MeanBatchSize:F1}"));
                if (settings.Persistence.Store.Kind != Persistence.StoreKind.None)
                    Console.Error.WriteLine(StoreSummary(settings, summary.Metrics));
            }

            onDone?.Invoke(summary);
            return ExitCode(summary, cancel.Token.IsCancellationRequested, options);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"error: reading '{options.Input}' failed: {e.Message}");
            return 3;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        finally
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(3)); // before the writers close: the stream is done; only a source blocked on an idle input may linger
        }
    }

    /// <summary>The exit code of a file run that completed or was stopped (<see cref="ExitCodes"/>); says why on stderr.</summary>
    private static int ExitCode(RunSummary summary, bool interrupted, RunOptions options)
    {
        string errors = options.Errors is null ? "stderr" : $"'{options.Errors}'";
        if (summary.StoppedByErrors || summary.Errors > options.MaxErrors)
        {
            string how = summary.StoppedByErrors ? "stopped after" : "ended with";
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"error: {how} {summary.Errors:N0} error records, more than --max-errors {options.MaxErrors:N0} (they are in {errors}); {summary.Predictions:N0} predictions were written."));
            return ExitCodes.TooManyErrors;
        }

        if (interrupted) return ExitCodes.Interrupted;
        if (summary.Predictions == 0 && summary.Errors > 0)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"error: no line became a prediction: {summary.Errors:N0} error records (in {errors}). Is the input's format right (--format csv for CSV piped in), and are its fields the model's (--features, --seq-field)?"));
            return ExitCodes.NothingPredicted;
        }

        return ExitCodes.Ok;
    }
}

/// <summary>What <c>lstm-streams run</c> was asked to do: the command's flags.</summary>
internal sealed record RunOptions(string Model, string Input = "-", string Output = "-")
{
    public string? Errors { get; init; }
    public string? Format { get; init; }
    public string? OutputFormat { get; init; }
    public string? Head { get; init; }
    public string? Features { get; init; }
    public string? SequenceField { get; init; }
    public string? TimeField { get; init; }
    public string? TimeUnit { get; init; }
    public bool Raw { get; init; }
    public long? MaxErrors { get; init; }

    /// <summary>The input fields: lstm-streams.input, then the flags, then (for the features) the model's own names.</summary>
    /// <exception cref="ArgumentException">A field setting is unusable; the message names it.</exception>
    public InputFields Fields(Akka.Configuration.Config config, Core.Model.RecurrentModel model)
    {
        var fields = InputFields.FromConfig(config);
        if (SequenceField is { } seq) fields = fields with { SequenceField = seq };
        if (TimeField is { } t) fields = fields with { TimeField = t };
        if (TimeUnit is { } unit) fields = fields with { TimeUnit = InputFields.ParseUnit(unit, "--t-unit") };
        if (Features is { } names) fields = fields with { Features = InputFields.ParseFeatureList(names) };
        if (fields.Features is null && model.Scaling.FeatureNames is { } own) fields = fields with { Features = own, FeaturesFromModel = true };
        fields.Validate("--");
        if (fields.Features is { } named && named.Count != model.InputSize)
            throw new ArgumentException($"{named.Count} features are named ({string.Join(", ", named)}) but the model takes {model.InputSize} inputs: name one field per input, in the model's input order.");
        return fields;
    }
}
