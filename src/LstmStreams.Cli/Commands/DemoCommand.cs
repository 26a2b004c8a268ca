using System.CommandLine;
using System.Globalization;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Cli.Demo;
using LstmStreams.Cli.Running;
using LstmStreams.Core.Import;
using LstmStreams.Pipeline;
using LstmStreams.Formats;

namespace LstmStreams.Cli.Commands;

/// <summary><c>lstm-streams demo</c>: a simulated sensor fleet streamed through the shipped anomaly detector.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var sensors = new Option<int>("--sensors") { Description = "Number of simulated sensors (sequences).", DefaultValueFactory = _ => 10_000 };
        var seconds = new Option<double>("--seconds") { Description = "How long to run.", DefaultValueFactory = _ => 10 };
        var output = new Option<string>("--output") { Description = "Where detected anomalies (predictions with y > 0.5) are written, as JSONL.", DefaultValueFactory = _ => Path.Combine("out", "demo-anomalies.jsonl") };
        var model = new Option<string?>("--model") { Description = "Model to run (default: the shipped config/models/demo.safetensors)." };
        var shared = new SharedOptions { DefaultStore = "sqlite:" + Persistence.StoreLocation.DefaultSqlitePath };
        var command = new Command("demo", "Stream a simulated fleet of sensors through the shipped LSTM anomaly detector and summarise.")
        {
            sensors, seconds, output, model,
        };
        shared.AddTo(command);
        command.SetAction(parse =>
        {
            try
            {
                var (config, settings) = shared.Read(parse);
                string modelPath = parse.GetValue(model) ?? Path.Combine(AppContext.BaseDirectory, "models", "demo.safetensors");
                settings = SharedOptions.WithStoreFor(settings, modelPath);
                return Execute(parse.GetValue(sensors), TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(output)!, modelPath, config, settings, Console.Out);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    internal static int Execute(int sensorCount, TimeSpan duration, string outputPath, string modelPath, Akka.Configuration.Config config,
        Settings.StreamingSettings settings, TextWriter console)
    {
        if (sensorCount < 1) throw new ArgumentException("--sensors must be at least 1.");
        if (duration <= TimeSpan.Zero) throw new ArgumentException("--seconds must be positive.");
        Core.Model.RecurrentModel loaded;
        try
        {
            loaded = ModelLoader.Load(modelPath);
        }
        catch (ModelFormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        if (loaded.InputSize != 2 || loaded.OutputSize != 1)
        {
            Console.Error.WriteLine($"error: the demo feeds [value, delta] and reads one probability, but '{modelPath}' takes {loaded.InputSize} inputs and gives {loaded.OutputSize} outputs.");
            return 2;
        }

        string? folder = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (folder is not null) Directory.CreateDirectory(folder);
        var fleet = new SensorFleet(sensorCount);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"demo: {sensorCount:N0} sensors → {loaded.Describe()} ({settings.Kernel.ToString().ToLowerInvariant()} kernel) for {duration.TotalSeconds:F0} s"));

        long detected = 0, truePositives = 0;
        using var anomalies = new AnomalyWriter(outputPath, fleet);
        using var errors = new JsonlWriter(Console.OpenStandardError(), ownsStream: false);
        using var system = StreamRunner.CreateSystem(config);
        try
        {
            int group = LstmStream.MaxGroupSize(settings);
            var groups = Source.FromEnumerator(() => fleet.Observations().GetEnumerator())
                .TakeWithin(duration)
                .Batch(group, o => new List<Observation>(group) { o }, (list, o) =>
                {
                    list.Add(o);
                    return list;
                })
                .Select(list => (IReadOnlyList<Observation>)list);
            var summary = StreamRunner.Run(system, loaded, settings, groups, anomalies.Writer, errors,
                Progress.ForStderr("demo", settings.StatusInterval));
            (detected, truePositives) = (anomalies.Detected, anomalies.TruePositives);
            int injected = fleet.Anomalies.Count;
            var m = summary.Metrics;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                observations   {summary.Predictions:N0} in {summary.Elapsed.TotalSeconds:F1} s = {summary.ObservationsPerSecond:N0} obs/s
                sequences      {sensorCount:N0} (live at the end: {m.LiveSequences:N0})
                batch size     mean {m.MeanBatchSize:F1}, p50 {m.BatchSizeQuantile(0.5)}, p99 {m.BatchSizeQuantile(0.99)} ({m.Batches:N0} kernel calls)
                latency        p50 {m.LatencyQuantile(0.5).TotalMilliseconds:F2} ms, p99 {m.LatencyQuantile(0.99).TotalMilliseconds:F2} ms, p99.9 {m.LatencyQuantile(0.999).TotalMilliseconds:F2} ms (admission → output)
                anomalies      {injected:N0} injected, {detected:N0} flagged (y > 0.5), {truePositives:N0} of them real
                written to     {Path.GetFullPath(outputPath)}
                """));
            if (settings.Persistence.Store.Kind != Persistence.StoreKind.None) console.WriteLine(RunCommand.StoreSummary(settings, m));
            return 0;
        }
        finally
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Writes only the predictions that flag an anomaly, and scores them against the fleet's truth.</summary>
    private sealed class AnomalyWriter(string path, SensorFleet fleet) : IDisposable
    {
        private PredictionWriter? _writer;

        public PredictionWriter Writer => _writer ??= new PredictionWriter(FileInput.CreateOutput(path), OutputFormat.Jsonl, outputs: 1, filter: Consider);
        public long Detected { get; private set; }
        public long TruePositives { get; private set; }

        private bool Consider(Prediction prediction)
        {
            if (prediction.Y[0] <= 0.5f) return false;
            Detected++;
            bool real;
            lock (fleet.Anomalies) real = fleet.Anomalies.Contains((SensorFleet.SensorIndex(prediction.SequenceId), prediction.T));
            if (real) TruePositives++;
            return true;
        }

        public void Dispose() => _writer?.Dispose();
    }
}
