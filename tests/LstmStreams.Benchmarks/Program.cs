using System.CommandLine;
using BenchmarkDotNet.Running;
using LstmStreams.Benchmarks.Onnx;
using LstmStreams.Core.Model;

namespace LstmStreams.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/LstmStreams.Benchmarks -- kernel [options]</c>: the CLI's
/// <c>bench kernel</c> with ONNX Runtime as an extra backend ("onnxruntime"), all in one run.
/// <c>-- check-onnx</c> checks that ONNX Runtime steps the same maths. Anything else goes to BenchmarkDotNet (e.g. <c>-- --filter *KernelStep* --job short</c>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "kernel")
        {
            var peers = new Dictionary<string, Func<RecurrentModel, int, IBenchStepper>>
            {
                ["onnxruntime"] = (model, batch) => new OnnxRecurrentStepper(model, batch, Math.Min(2, Environment.ProcessorCount)),
            };
            var root = new RootCommand("Kernel throughput with ONNX Runtime as a peer.") { KernelTableCommand.Create(peers) };
            return root.Parse(args).Invoke();
        }

        if (args.Length > 0 && args[0] == "check-onnx") return OnnxAgreement.Run();

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
