using BenchmarkDotNet.Running;
using LstmStreams.Cli.Bench.Onnx;

namespace LstmStreams.Benchmarks;

/// <summary>
/// BenchmarkDotNet runs of the step kernels with ONNX Runtime as a peer and the memory diagnoser:
/// <c>dotnet run -c Release --project tests/LstmStreams.Benchmarks -- --filter *KernelStep* --job short</c>.
/// <c>-- check-onnx</c> checks that ONNX Runtime steps the same maths as the reference kernel.
/// The interleaved throughput table is the CLI's <c>lstm-streams bench kernel</c>.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "check-onnx") return OnnxAgreement.Run();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
