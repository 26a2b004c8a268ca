using System.CommandLine;
using System.Globalization;
using LstmStreams.Cli.Running;
using LstmStreams.Core.Import;
using LstmStreams.Sinks;
using LstmStreams.Sources;

namespace LstmStreams.Cli.Commands;

/// <summary><c>lstm-streams run</c>: stream observations of many sequences through a model.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model: a PyTorch state_dict saved as .safetensors.", Required = true };
        var input = new Option<string>("--input") { Description = "Observations: a file, - for stdin, or mqtt://HOST:PORT/FILTER (mqtts:// for TLS; e.g. sensors/+/obs).", DefaultValueFactory = _ => "-" };
        var output = new Option<string>("--output") { Description = "Predictions (JSONL): a file, - for stdout, or mqtt://HOST:PORT/TEMPLATE (e.g. sensors/{seq}/pred).", DefaultValueFactory = _ => "-" };
        var errors = new Option<string?>("--errors") { Description = "Error records (JSONL) for rejected lines; default stderr." };
        var format = new Option<string?>("--format") { Description = "Input format: jsonl or csv (default: from the file extension, else jsonl)." };
        var head = new Option<string?>("--head") { Description = "State_dict prefix of the output head when several qualify (or 'none')." };
        var shared = new SharedOptions { DefaultStore = "sqlite:" + Persistence.StoreLocation.DefaultSqlitePath };
        var command = new Command("run", "Stream observations of many interleaved sequences through a model; one prediction per observation.")
        {
            model, input, output, errors, format, head,
        };
        shared.AddTo(command);
        command.SetAction(parse => Execute(parse.GetValue(model)!, parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(errors),
            parse.GetValue(format), parse.GetValue(head), () => shared.Read(parse)));
        return command;
    }

    /// <summary>The live path: a broker in and out, until Ctrl-C or SIGTERM.</summary>
    private static int ExecuteMqtt(Core.Model.RecurrentModel model, Akka.Configuration.Config config, Settings.StreamingSettings settings,
        Mqtt.MqttSettings mqtt, string? errorsPath)
    {
        using var errorWriter = new JsonlWriter(errorsPath is null ? Console.OpenStandardError() : File.Create(errorsPath), ownsStream: errorsPath is not null);
        var system = StreamRunner.CreateSystem(config); // terminated in finally, with a bound: a source blocked reading an idle pipe never stops
        using var cancel = new CancellationTokenSource();
        using var signals = MqttRunner.StopOnSignals(cancel);
        try
        {
            return MqttRunner.Run(system, model, settings, mqtt, errorWriter, Progress.ForStderrIfTerminal("run"), cancel.Token);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        finally
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(3)); // the stream is done; only a source blocked on an idle input may linger
        }
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
        Func<(Akka.Configuration.Config, Settings.StreamingSettings)> readSettings)
    {
        Core.Model.RecurrentModel loaded;
        try
        {
            loaded = ModelLoader.Load(modelPath, head);
        }
        catch (ModelFormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        if (loaded.IgnoredTensors.Count > 0)
            Console.Error.WriteLine($"warning: model file '{modelPath}' has tensors the streamed model does not use: {string.Join(", ", loaded.IgnoredTensors.Take(10))}{(loaded.IgnoredTensors.Count > 10 ? ", …" : "")}. " +
                "If they are part of the network's forward path (e.g. a second Linear after the head), the predictions will differ from PyTorch.");

        Akka.Configuration.Config config;
        Settings.StreamingSettings settings;
        InputFormat inputFormat;
        TextReader reader;
        try
        {
            (config, settings) = readSettings();
            settings = SharedOptions.WithStoreFor(settings, modelPath);
            if (MqttRunner.IsAddress(inputPath) || MqttRunner.IsAddress(outputPath))
                return ExecuteMqtt(loaded, config, settings, MqttRunner.Settings(config, inputPath, outputPath), errorsPath);
            inputFormat = InputLines.Guess(inputPath, format);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        CsvObservations? csv = null;
        try
        {
            reader = InputLines.Open(inputPath);
            if (inputFormat == InputFormat.Csv)
                csv = InputLines.ReadCsvHeader(reader, inputPath, loaded.InputSize);
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 3;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: input '{inputPath}' cannot be read: {e.Message}");
            return 3;
        }

        JsonlWriter predictions, errorWriter;
        try
        {
            predictions = new JsonlWriter(outputPath == "-" ? Console.OpenStandardOutput() : CreateFile(outputPath), ownsStream: outputPath != "-");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reader.Dispose();
            Console.Error.WriteLine($"error: output '{outputPath}' cannot be written: {e.Message} Check the path given with --output.");
            return 4;
        }

        try
        {
            errorWriter = new JsonlWriter(errorsPath is null ? Console.OpenStandardError() : CreateFile(errorsPath), ownsStream: errorsPath is not null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reader.Dispose();
            predictions.Dispose();
            Console.Error.WriteLine($"error: error records file '{errorsPath}' cannot be written: {e.Message} Check the path given with --errors.");
            return 4;
        }

        using var predictionsOwner = predictions;
        using var errorsOwner = errorWriter;
        var system = StreamRunner.CreateSystem(config); // terminated in finally, with a bound: a source blocked reading an idle pipe never stops
        using var cancel = new CancellationTokenSource();
        // Ctrl-C and SIGTERM stop reading input; what was admitted is emitted and every state is written.
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancel.IsCancellationRequested) return; // a second Ctrl-C ends the process at once
            e.Cancel = true;
            Console.Error.WriteLine("stopping: emitting what was admitted and writing sequence states (Ctrl-C again to quit at once)");
            cancel.Cancel();
        };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Console.Error.WriteLine("stopping (SIGTERM): emitting what was admitted and writing sequence states");
            cancel.Cancel();
        });
        try
        {
            var summary = StreamRunner.Run(system, loaded, settings, InputLines.Parse(reader, inputFormat, csv), predictions, errorWriter,
                Progress.ForStderrIfTerminal("run"), cancel.Token);
            if (!Console.IsErrorRedirected)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"done: {summary.Predictions:N0} predictions, {summary.Errors:N0} rejected lines ({summary.Metrics.Duplicates:N0} duplicates), {summary.ObservationsPerSecond:N0} obs/s, mean batch {summary.Metrics.MeanBatchSize:F1}"));
                if (settings.Persistence.Store.Kind != Persistence.StoreKind.None)
                    Console.Error.WriteLine(StoreSummary(settings, summary.Metrics));
            }

            return 0;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"error: reading '{inputPath}' failed: {e.Message}");
            return 3;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        finally
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(3)); // the stream is done; only a source blocked on an idle input may linger
        }
    }

    /// <summary>Creates (or truncates) an output file, and its folder if it does not exist yet.</summary>
    private static FileStream CreateFile(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        return InputLines.CreateOutput(path);
    }
}
