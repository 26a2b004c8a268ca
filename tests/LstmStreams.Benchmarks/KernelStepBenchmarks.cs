using BenchmarkDotNet.Attributes;
using LstmStreams.Cli.Bench;
using LstmStreams.Cli.Bench.Onnx;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;

namespace LstmStreams.Benchmarks;

/// <summary>
/// One batched LSTM step (M = 8, one layer) per operation, per backend: our managed kernel, the MathNet
/// reference and ONNX Runtime's LSTM op fed the same weights with its state fed back each call.
/// Allocated bytes per operation come from the memory diagnoser.
/// </summary>
[MemoryDiagnoser]
public class KernelStepBenchmarks
{
    private IBenchStepper _stepper = null!;

    [Params(64, 256)]
    public int Hidden { get; set; }

    [Params(1, 64, 1024)]
    public int Batch { get; set; }

    [Params("managed", "onnxruntime", "reference")]
    public string Backend { get; set; } = "managed";

    [GlobalSetup]
    public void Setup()
    {
        var model = KernelTableCommand.RandomModel(CellKind.Lstm, 8, Hidden, 1);
        int threads = Math.Min(2, Environment.ProcessorCount);
        _stepper = Backend == "onnxruntime"
            ? new OnnxRecurrentStepper(model, Batch, threads)
            : new KernelStepper(StepKernels.Create(model, StepKernels.Parse(Backend), Batch, threads), Batch);
    }

    [GlobalCleanup]
    public void Cleanup() => _stepper.Dispose();

    [Benchmark]
    public void Step() => _stepper.Step();

    private sealed class KernelStepper(IStepKernel kernel, int batch) : IBenchStepper
    {
        private readonly float[] _inputs = KernelTableCommand.RandomInputs(batch * kernel.Model.InputSize);
        private readonly float[][] _states = Enumerable.Range(0, batch).Select(_ => kernel.Model.NewState()).ToArray();
        private readonly float[] _outputs = new float[batch * kernel.Model.OutputSize];

        public string Name => kernel.Name;
        public int Threads => 1;
        public void Step() => kernel.Step(_inputs, _states, _outputs);
        public void Dispose() => kernel.Dispose();
    }
}
