using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LstmStreams.Cli.Bench;
using LstmStreams.Cli.Running;
using LstmStreams.Core.Model;

namespace LstmStreams.Cli.Commands;

/// <summary><c>lstm-streams bench e2e</c>: the whole streaming path against an ideal loop and a per-event loop.</summary>
internal static class EndToEndCommand
{
    public static Command Create()
    {
        var sequences = new Option<int>("--sequences", "--distinct") { Description = "Distinct sequence ids, all active unless --active.", DefaultValueFactory = _ => 100_000 };
        var active = new Option<int?>("--active") { Description = "Ids active at once: a window that slides over all --sequences during the run (sequences come, go idle, passivate; no warm-up; idle-timeout 1 s unless the config sets it). The steady state (--active ids, all live) runs next, for the ratio. Default: all." };
        var noSteady = new Option<bool>("--no-steady") { Description = "With --active: skip the steady-state run that follows the churn run." };
        var input = new Option<int>("--input") { Description = "Input size M.", DefaultValueFactory = _ => 8 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size H.", DefaultValueFactory = _ => 64 };
        var layers = new Option<int>("--layers") { Description = "Stacked layers.", DefaultValueFactory = _ => 1 };
        var outputs = new Option<int>("--outputs") { Description = "Width O of the model's head (Linear + sigmoid); 0 for none (y = h).", DefaultValueFactory = _ => 1 };
        var cell = new Option<string>("--cell") { Description = "lstm or gru.", DefaultValueFactory = _ => "lstm" };
        var observations = new Option<int>("--observations") { Description = "Observations in the run.", DefaultValueFactory = _ => 5_000_000 };
        var rate = new Option<string>("--rate") { Description = "max (closed loop) or observations per second (open loop; latency from the scheduled time).", DefaultValueFactory = _ => "max" };
        var seconds = new Option<double?>("--seconds") { Description = "Stop the source after this many seconds." };
        var baselines = new Option<bool>("--no-baselines") { Description = "Skip the ideal and per-event loops." };
        var noWarmUp = new Option<bool>("--no-warmup") { Description = "Measure from the first observation, actor creation included (by default one observation per sequence creates every actor first, timed apart)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with every figure." };
        var through = new Option<string>("--through") { Description = "engine (the flow alone) or run: also the same workload as a file through `lstm-streams run` (file in, file out, --store as given), with the ratio of the two rates.", DefaultValueFactory = _ => "engine" };
        var format = new Option<string>("--format") { Description = "With --through run: the input file's format, jsonl or csv.", DefaultValueFactory = _ => "jsonl" };
        var outputFormat = new Option<string>("--output-format") { Description = "With --through run: the predictions' format, jsonl or csv.", DefaultValueFactory = _ => "jsonl" };
        var nodes = new Option<int?>("--nodes") { Description = "Also run the workload through a cluster of 1, 2, … N `lstm-streams node` processes on this machine (one ingests a file), sharing --store postgres:…; prints obs/s per cluster size." };
        var shared = new SharedOptions();
        var command = new Command("e2e", "Observations per second through source → sequence actors → batch → kernel → sink, with latency, batch, allocation and memory figures.")
        {
            sequences, active, input, hidden, layers, outputs, cell, observations, rate, seconds, baselines, noWarmUp, json, noSteady, through, format, outputFormat, nodes,
        };
        shared.AddTo(command);
        command.SetAction(parse =>
        {
            try
            {
                var (config, settings) = shared.Read(parse);
                var cellKind = parse.GetValue(cell)!.ToLowerInvariant() switch
                {
                    "lstm" => CellKind.Lstm,
                    "gru" => CellKind.Gru,
                    var other => throw new ArgumentException($"--cell '{other}': use lstm or gru."),
                };
                string rateText = parse.GetValue(rate)!;
                double? openRate = rateText == "max" ? null
                    : double.TryParse(rateText, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) && r > 0 ? r
                    : throw new ArgumentException($"--rate '{rateText}': use max or a positive number of observations per second.");
                int n = parse.GetValue(sequences), count = parse.GetValue(observations);
                if (n < 1 || count < 1) throw new ArgumentException("--sequences and --observations must be positive.");
                var model = KernelTableCommand.RandomModel(cellKind, parse.GetValue(input), parse.GetValue(hidden), parse.GetValue(layers), parse.GetValue(outputs));
                if (parse.GetValue(active) is < 1) throw new ArgumentException("--active must be positive.");
                var workload = new Workload(n, count, model.InputSize, parse.GetValue(active));
                bool throughRun = parse.GetValue(through) switch
                {
                    "engine" => false,
                    "run" => true,
                    var other => throw new ArgumentException($"--through '{other}': use engine or run."),
                };
                if (parse.GetValue(nodes) is { } nodeCount)
                {
                    if (nodeCount is < 1 or > 16) throw new ArgumentException("--nodes must be in 1..16.");
                    return ClusterBench.Run(model, workload, settings, nodeCount, parse.GetValue(json), Console.Error);
                }

                if (throughRun)
                {
                    string inFormat = FileInput.Guess("", parse.GetValue(format)) == InputFormat.Csv ? "csv" : "jsonl";
                    string outFormat = FileInput.GuessOutput("", parse.GetValue(outputFormat)) == Formats.OutputFormat.Csv ? "csv" : "jsonl";
                    return ThroughRun(config, settings, model, workload, inFormat, outFormat, parse.GetValue(json));
                }

                using var system = StreamRunner.CreateSystem(config);
                TimeSpan? limit = parse.GetValue(seconds) is { } s ? TimeSpan.FromSeconds(s) : null;
                var steadySettings = settings;
                if (workload.Active < n && !config.HasPath("lstm-streams.idle-timeout")) settings = settings with { IdleTimeout = ChurnBench.IdleTimeout };
                var result = EndToEndBench.Run(system, model, settings, workload, openRate, limit, !parse.GetValue(noWarmUp), Console.Error);
                if (workload.Active < n && !parse.GetValue(noSteady)) result = ChurnBench.WithSteadyState(result, system, model, steadySettings, workload, openRate, limit);
                system.Terminate().Wait(TimeSpan.FromSeconds(10));
                if (!parse.GetValue(baselines) && openRate is null)
                {
                    var budget = TimeSpan.FromSeconds(3);
                    result = result with
                    {
                        IdealObsPerSecond = Baselines.IdealObservationsPerSecond(model, workload, (int)Math.Round(result.BatchMean), settings.Kernel, settings.KernelThreads, budget),
                        PerEventObsPerSecond = Baselines.PerEventObservationsPerSecond(model, workload, settings.Kernel, settings.KernelThreads, budget),
                    };
                }

                if (parse.GetValue(json)) Console.WriteLine(ToJson(result, model));
                else WriteSummary(Console.Out, result, model);
                return 0;
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>The engine alone (as <c>bench e2e</c>, store none) and then the same workload through <c>run</c>.</summary>
    private static int ThroughRun(Akka.Configuration.Config config, Settings.StreamingSettings settings, RecurrentModel model, Workload workload,
        string format, string outputFormat, bool json)
    {
        EndToEndResult engine;
        var engineSettings = settings with { Persistence = settings.Persistence with { Store = Persistence.StoreLocation.None } };
        var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        using (var system = StreamRunner.CreateSystem(config))
        {
            engine = EndToEndBench.Run(system, model, engineSettings, workload, rate: null, limit: null, warmUp: true, Console.Error);
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
        }

        double engineCpu = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / (workload.Order.Length + engine.Sequences);
        var run = RunPathBench.Run(model, workload, format, outputFormat, config, settings, Console.Error);
        double ratio = run.ObsPerSecond / engine.ObsPerSecond;
        var inv = CultureInfo.InvariantCulture;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["cell"] = model.Cell.ToName(), ["input"] = model.InputSize, ["hidden"] = model.HiddenSize, ["layers"] = model.LayerCount,
                ["sequences"] = engine.Sequences, ["observations"] = workload.Order.Length,
                ["engine_obs_per_s"] = Math.Round(engine.ObsPerSecond), ["engine_alloc_bytes_per_obs"] = Math.Round(engine.AllocBytesPerObs, 1),
                ["engine_cpu_us_per_obs"] = Math.Round(engineCpu, 3), ["run_cpu_us_per_obs"] = Math.Round(run.CpuMicrosPerObs, 3),
                ["run_obs_per_s"] = Math.Round(run.ObsPerSecond), ["run_wall_obs_per_s"] = Math.Round(run.WallObsPerSecond),
                ["run_alloc_bytes_per_obs"] = Math.Round(run.AllocBytesPerObs, 1), ["run_batch_mean"] = Math.Round(run.BatchMean, 1),
                ["ratio"] = Math.Round(ratio, 3),
                ["format"] = run.Format, ["output_format"] = run.OutputFormat, ["store"] = run.Store, ["input_bytes"] = run.InputBytes,
                ["predictions"] = run.Predictions, ["errors"] = run.Errors,
            }));
        }
        else
        {
            Console.WriteLine(string.Create(inv, $"bench e2e --through run: {model.Describe()}, {engine.Sequences:N0} sequences, {workload.Order.Length:N0} observations"));
            Console.WriteLine(string.Create(inv, $"  engine alone      {engine.ObsPerSecond,14:N0} obs/s   {engine.AllocBytesPerObs,6:F0} B/obs   {engineCpu,5:F2} µs CPU/obs   (bench e2e, store none)"));
            Console.WriteLine(string.Create(inv, $"  run {run.Format,-5}→{run.OutputFormat,-5}  {run.ObsPerSecond,14:N0} obs/s   {run.AllocBytesPerObs,6:F0} B/obs   {run.CpuMicrosPerObs,5:F2} µs CPU/obs   (file → file, store {run.Store}; {run.WallObsPerSecond:N0} obs/s from the command's start)"));
            Console.WriteLine(string.Create(inv, $"  ratio             {ratio,14:F2}     mean batch {run.BatchMean:F0}, {run.Errors:N0} error records"));
        }

        return run.Errors == 0 && run.Predictions == workload.Order.Length ? 0 : 1;
    }

    private static string ToJson(EndToEndResult r, RecurrentModel model) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["mode"] = r.Mode, ["kernel"] = r.Kernel, ["cell"] = model.Cell.ToName(), ["input"] = model.InputSize, ["hidden"] = model.HiddenSize, ["layers"] = model.LayerCount,
        ["sequences"] = r.Sequences, ["observations"] = r.Observations,
        ["obs_per_s"] = Math.Round(r.ObsPerSecond),
        ["ideal_obs_per_s"] = Math.Round(r.IdealObsPerSecond),
        ["per_event_obs_per_s"] = Math.Round(r.PerEventObsPerSecond),
        ["overhead_ratio"] = r.IdealObsPerSecond > 0 ? Math.Round(r.ObsPerSecond / r.IdealObsPerSecond, 3) : null,
        ["speedup_vs_per_event"] = r.PerEventObsPerSecond > 0 ? Math.Round(r.ObsPerSecond / r.PerEventObsPerSecond, 2) : null,
        ["latency_ms"] = new Dictionary<string, double> { ["p50"] = Math.Round(r.LatencyP50Ms, 3), ["p99"] = Math.Round(r.LatencyP99Ms, 3), ["p999"] = Math.Round(r.LatencyP999Ms, 3) },
        ["batch"] = new Dictionary<string, double> { ["mean"] = Math.Round(r.BatchMean, 1), ["p50"] = r.BatchP50, ["p99"] = r.BatchP99 },
        ["alloc_bytes_per_obs"] = Math.Round(r.AllocBytesPerObs, 1),
        ["gc_collections"] = new Dictionary<string, int> { ["gen0"] = r.GcCollections[0], ["gen1"] = r.GcCollections[1], ["gen2"] = r.GcCollections[2] },
        ["gc_pause_ms"] = Math.Round(r.GcPause.TotalMilliseconds, 1),
        ["peak_working_set_mb"] = Math.Round(r.PeakWorkingSetMb, 1),
        ["bytes_per_sequence"] = Math.Round(r.BytesPerSequence),
        ["state_bytes_per_sequence"] = r.StateBytesPerSequence,
        ["warmup_s"] = Math.Round(r.WarmUp.TotalSeconds, 3),
        ["sequences_created_per_s"] = r.WarmUp > TimeSpan.Zero ? Math.Round(r.Sequences / r.WarmUp.TotalSeconds) : null,
        ["bytes_per_sequence_beyond_state"] = Math.Round(r.BytesPerSequence - r.StateBytesPerSequence),
        ["active"] = r.Active,
        ["peak_live_sequences"] = r.PeakLiveSequences,
        ["store"] = r.Store,
        ["store_restored"] = r.StoreFigures?.Restored,
        ["store_loads"] = r.StoreFigures?.Loads,
        ["store_loads_without_query"] = r.StoreFigures?.NeverStored,
        ["snapshots_written"] = r.StoreFigures?.Written,
        ["store_failures"] = r.StoreFigures?.Failures,
        ["idle_timeout_s"] = r.Active < r.Sequences ? r.IdleTimeout.TotalSeconds : null,
        ["steady_obs_per_s"] = r.SteadyObsPerSecond > 0 ? Math.Round(r.SteadyObsPerSecond) : null,
        ["churn_ratio"] = r.SteadyObsPerSecond > 0 ? Math.Round(r.ObsPerSecond / r.SteadyObsPerSecond, 3) : null,
    });

    private static void WriteSummary(TextWriter o, EndToEndResult r, RecurrentModel model)
    {
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(inv, $"bench e2e: {model.Describe()}, {r.Sequences:N0} sequences, {r.Mode}, kernel {r.Kernel}"));
        if (r.WarmUp > TimeSpan.Zero)
            o.WriteLine(string.Create(inv, $"  warm-up           {r.Sequences:N0} sequences created in {r.WarmUp.TotalSeconds:F2} s ({r.Sequences / r.WarmUp.TotalSeconds:N0}/s), not in the figures below"));
        o.WriteLine(string.Create(inv, $"  throughput        {r.ObsPerSecond,14:N0} obs/s over {r.Observations:N0} observations"));
        if (r.IdealObsPerSecond > 0)
        {
            o.WriteLine(string.Create(inv, $"  ideal loop        {r.IdealObsPerSecond,14:N0} obs/s   overhead_ratio {r.ObsPerSecond / r.IdealObsPerSecond:F2}"));
            o.WriteLine(string.Create(inv, $"  per-event loop    {r.PerEventObsPerSecond,14:N0} obs/s   speedup {r.ObsPerSecond / r.PerEventObsPerSecond:F1}×"));
        }

        o.WriteLine(string.Create(inv, $"  latency           p50 {r.LatencyP50Ms:F2} ms   p99 {r.LatencyP99Ms:F2} ms   p99.9 {r.LatencyP999Ms:F2} ms"));
        o.WriteLine(string.Create(inv, $"  batch size        mean {r.BatchMean:F1}   p50 {r.BatchP50}   p99 {r.BatchP99}"));
        o.WriteLine(string.Create(inv, $"  allocation        {r.AllocBytesPerObs:F0} bytes/obs   GC gen0/1/2: {r.GcCollections[0]}/{r.GcCollections[1]}/{r.GcCollections[2]}, paused {r.GcPause.TotalMilliseconds:N0} ms"));
        o.WriteLine(string.Create(inv, $"  memory            peak working set {r.PeakWorkingSetMb:N0} MB   {r.BytesPerSequence:N0} bytes/sequence ({r.StateBytesPerSequence} of state, {r.BytesPerSequence - r.StateBytesPerSequence:N0} beyond)"));
        o.WriteLine(string.Create(inv, $"  sequences         {r.Active:N0} active at once of {r.Sequences:N0}; peak live {r.PeakLiveSequences:N0}"));
        if (r.SteadyObsPerSecond > 0)
            o.WriteLine(string.Create(inv, $"  steady state      {r.SteadyObsPerSecond,14:N0} obs/s ({r.Active:N0} sequences, all live)   churn_ratio {r.ObsPerSecond / r.SteadyObsPerSecond:F3} (idle-timeout {r.IdleTimeout.TotalSeconds:G} s)"));
        if (r.StoreFigures is { } st)
            o.WriteLine(string.Create(inv, $"  store             {r.Store}: {st.Loads:N0} loads ({st.Restored:N0} resumed, {st.NeverStored:N0} new ids answered without a query), {st.Written:N0} snapshots written, {st.Failures:N0} failures"));
        o.WriteLine("  latency histogram (admission → output):");
        long max = r.Histogram.Count == 0 ? 1 : r.Histogram.Max(b => b.Count);
        foreach (var (upper, count) in r.Histogram)
            o.WriteLine(string.Create(inv, $"    ≤ {upper.TotalMilliseconds,9:F3} ms {count,11:N0} {new string('#', (int)Math.Ceiling(40.0 * count / max))}"));
    }
}
