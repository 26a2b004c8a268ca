using System.CommandLine;
using LstmStreams.Cli.Bench;
using LstmStreams.Core.Model;

namespace LstmStreams.Cli.Commands;

/// <summary><c>lstm-streams bench kernel|e2e</c>: the project's own speed measurements.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure speed: the step kernels against ONNX Runtime (kernel), or the whole streaming path (e2e).");
        bench.Subcommands.Add(Kernel());
        bench.Subcommands.Add(EndToEndCommand.Create());
        return bench;
    }

    private static Command Kernel()
    {
        var cell = new Option<string>("--cell") { Description = "lstm or gru.", DefaultValueFactory = _ => "lstm" };
        var input = new Option<int>("--input") { Description = "Input size M.", DefaultValueFactory = _ => 8 };
        var hidden = new Option<string>("--hidden") { Description = "Hidden sizes, comma-separated.", DefaultValueFactory = _ => "64,256" };
        var batch = new Option<string>("--batch") { Description = "Batch sizes, comma-separated.", DefaultValueFactory = _ => "1,64,1024" };
        var layers = new Option<int>("--layers") { Description = "Stacked layers (ONNX Runtime runs only with 1).", DefaultValueFactory = _ => 1 };
        var backend = new Option<string>("--backend") { Description = "auto, managed, reference, openblas, onnxruntime, or all (comma-separated allowed; all includes openblas when libopenblas.so.0 is installed).", DefaultValueFactory = _ => "all" };
        var seconds = new Option<double>("--seconds") { Description = "Timed seconds per measurement (5 repetitions; the median is reported).", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "Threads for the managed kernel and ONNX Runtime (0 = min(2, cores)).", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "One JSON object per line per measurement." };
        var command = new Command("kernel", "Sequences stepped per second by each kernel backend, with ONNX Runtime's LSTM/GRU as a peer in the same run.")
        {
            cell, input, hidden, batch, layers, backend, seconds, threads, json,
        };
        command.SetAction(parse =>
        {
            try
            {
                var cellKind = parse.GetValue(cell)!.ToLowerInvariant() switch
                {
                    "lstm" => CellKind.Lstm,
                    "gru" => CellKind.Gru,
                    var other => throw new ArgumentException($"--cell '{other}': use lstm or gru."),
                };
                var names = parse.GetValue(backend)!.ToLowerInvariant().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .SelectMany(n => n != "all" ? new[] { n }
                        : Core.Kernels.StepKernels.IsAvailable(Core.Kernels.KernelBackend.OpenBlas) ? ["managed", "openblas", "reference", "onnxruntime"] : ["managed", "reference", "onnxruntime"])
                    .Distinct().ToArray();
                foreach (string name in names.Where(n => n != "onnxruntime")) Core.Kernels.StepKernels.Parse(name);
                if (parse.GetValue(seconds) <= 0) throw new ArgumentException("--seconds must be positive.");
                var results = KernelBench.Run(cellKind, parse.GetValue(input), Measure.List(parse.GetValue(hidden)!, "--hidden"), Measure.List(parse.GetValue(batch)!, "--batch"),
                    parse.GetValue(layers), names, TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(threads));
                if (parse.GetValue(json))
                {
                    foreach (var result in results) Console.WriteLine(result.ToJson());
                }
                else
                {
                    KernelBench.WriteTable(Console.Out, results);
                }

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
}
