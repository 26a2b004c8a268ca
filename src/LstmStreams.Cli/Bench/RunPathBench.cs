using System.Diagnostics;
using System.Globalization;
using System.Text;
using LstmStreams.Cli.Commands;
using LstmStreams.Cli.Running;
using LstmStreams.Core.Import;
using LstmStreams.Core.Model;
using LstmStreams.Settings;

namespace LstmStreams.Cli.Bench;

/// <summary>The figures of the workload run through <c>lstm-streams run</c>, file in and file out.</summary>
internal sealed record RunPathResult
{
    public required string Format { get; init; }
    public required string OutputFormat { get; init; }
    public required string Store { get; init; }
    public required long Predictions { get; init; }
    public required long Errors { get; init; }
    /// <summary>From the stream's start to its end (the rate <c>run</c> reports).</summary>
    public required double ObsPerSecond { get; init; }
    /// <summary>From the command's start (model load, input open, actor system) to its return.</summary>
    public required double WallObsPerSecond { get; init; }
    public required double AllocBytesPerObs { get; init; }
    public required double BatchMean { get; init; }
    public required long InputBytes { get; init; }
    /// <summary>CPU time of the whole process (every thread) per prediction, in µs: what the path costs, whatever
    /// else runs on the machine.</summary>
    public required double CpuMicrosPerObs { get; init; }
}

/// <summary>
/// <c>bench e2e --through run</c>: writes the workload as a file (JSONL or CSV, with t) and the model as
/// safetensors in a temporary folder, then runs the real <c>run</c> command's path on them in this process
/// (file in, file out, with the given store), so what a user runs is measured beside the engine alone.
/// </summary>
internal static class RunPathBench
{
    public static RunPathResult Run(RecurrentModel model, Workload workload, string format, string outputFormat, Akka.Configuration.Config config,
        StreamingSettings settings, TextWriter progress)
    {
        string folder = Directory.CreateTempSubdirectory("lstm-streams-bench-run-").FullName;
        try
        {
            string modelPath = Path.Combine(folder, "model.safetensors");
            SafetensorsModelWriter.Save(model, modelPath);
            string input = Path.Combine(folder, "input." + format), output = Path.Combine(folder, "predictions." + outputFormat), errors = Path.Combine(folder, "errors.jsonl");
            long bytes = WriteInput(workload, input, format);
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench e2e --through run: {workload.Order.Length:N0} lines ({bytes / 1e6:F0} MB of {format}) → run → {outputFormat}, store {settings.Persistence.Store}"));
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            RunSummary? summary = null;
            int exit = RunCommand.Execute(new RunOptions(modelPath, input, output) { Errors = errors, Format = format, OutputFormat = outputFormat },
                () => (config, settings), s => summary = s);
            clock.Stop();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            if (exit != 0 || summary is null) throw new InvalidOperationException($"run exited {exit}: see the message above.");
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            return new RunPathResult
            {
                Format = format,
                OutputFormat = outputFormat,
                Store = settings.Persistence.Store.ToString(),
                Predictions = summary.Predictions,
                Errors = summary.Errors,
                ObsPerSecond = summary.ObservationsPerSecond,
                WallObsPerSecond = summary.Predictions / clock.Elapsed.TotalSeconds,
                AllocBytesPerObs = (double)allocated / Math.Max(1, summary.Predictions),
                BatchMean = summary.Metrics.MeanBatchSize,
                InputBytes = bytes,
                CpuMicrosPerObs = cpu.TotalMicroseconds / Math.Max(1, summary.Predictions),
            };
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The workload as lines a user would have: each with its sequence's own t (0, 1, 2, …).</summary>
    internal static long WriteInput(Workload workload, string path, string format)
    {
        var counts = new int[workload.Ids.Length];
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16);
        var line = new StringBuilder(256);
        bool csv = format == "csv";
        if (csv)
        {
            line.Append("seq,t");
            for (int j = 0; j < workload.Features[0].Length; j++) line.Append(CultureInfo.InvariantCulture, $",x{j}");
            writer.WriteLine(line);
        }

        for (int i = 0; i < workload.Order.Length; i++)
        {
            int sequence = workload.Order[i];
            var x = workload.FeaturesOf(i);
            line.Clear();
            if (csv) line.Append(workload.Ids[sequence]).Append(',').Append(counts[sequence]++);
            else line.Append("{\"seq\":\"").Append(workload.Ids[sequence]).Append("\",\"t\":").Append(counts[sequence]++).Append(",\"x\":[");
            for (int j = 0; j < x.Length; j++)
            {
                if (csv || j > 0) line.Append(',');
                line.Append(x[j].ToString(CultureInfo.InvariantCulture));
            }

            if (!csv) line.Append("]}");
            writer.WriteLine(line);
        }

        writer.Flush();
        return writer.BaseStream.Length;
    }
}
