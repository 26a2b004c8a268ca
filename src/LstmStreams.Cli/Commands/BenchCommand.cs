using System.CommandLine;
using LstmStreams.Cli.Bench;
using LstmStreams.Cli.Bench.Onnx;
using LstmStreams.Core.Model;

namespace LstmStreams.Cli.Commands;

/// <summary><c>lstm-streams bench kernel|e2e</c>: the project's own speed measurements.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure speed: the step kernels against ONNX Runtime (kernel), or the whole streaming path (e2e).");
        // ONNX Runtime's LSTM/GRU operator runs in the same process as a peer, fed the same weights.
        var peers = new Dictionary<string, Func<RecurrentModel, int, IBenchStepper>>
        {
            ["onnxruntime"] = (model, batch) => new OnnxRecurrentStepper(model, batch, Math.Min(2, Environment.ProcessorCount)),
        };
        bench.Subcommands.Add(KernelTableCommand.Create(peers));
        bench.Subcommands.Add(EndToEndCommand.Create());
        return bench;
    }
}
