using System.Globalization;
using System.Text.Json;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Kernels.Managed;
using LstmStreams.Core.Model;

namespace LstmStreams.Cli.Bench;

/// <summary>One kernel measurement: the JSON line of <c>bench kernel --json</c>.</summary>
internal sealed record KernelResult(string Backend, string Cell, int Input, int Hidden, int Layers, int Batch, int Threads, double SeqStepsPerSecond, double Gflops, double? MaxAbsDeltaVsManaged)
{
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["backend"] = Backend, ["cell"] = Cell, ["input"] = Input, ["hidden"] = Hidden, ["layers"] = Layers, ["batch"] = Batch,
        ["threads"] = Threads, ["seq_steps_per_s"] = Math.Round(SeqStepsPerSecond), ["gflops"] = Math.Round(Gflops, 2),
        ["max_abs_delta_vs_managed"] = MaxAbsDeltaVsManaged,
    });
}

/// <summary>
/// Steps random models of the given shapes with each backend and reports sequences advanced per second
/// and GFLOP/s (2·B·(M+H)·G·H per layer per step, G = 4 for LSTM, 3 for GRU). ONNX Runtime runs in the same
/// process as a peer; its outputs are checked against ours so the comparison is of the same computation.
/// </summary>
internal static class KernelBench
{
    public static IEnumerable<KernelResult> Run(CellKind cell, int input, int[] hiddens, int[] batches, int layers, string[] backends, TimeSpan budget, int threads)
    {
        foreach (int hidden in hiddens)
        {
            var model = RandomModel(cell, input, hidden, layers);
            double flopsPerSeqStep = 0;
            foreach (var layer in model.Layers) flopsPerSeqStep += 2.0 * (layer.InputSize + hidden) * cell.GateCount() * hidden;
            foreach (int batch in batches)
            {
                foreach (string backend in backends)
                {
                    var result = backend == "onnxruntime"
                        ? RunOnnx(model, batch, budget, threads == 0 ? Math.Min(2, Environment.ProcessorCount) : threads, flopsPerSeqStep)
                        : RunOurs(model, backend, batch, budget, threads, flopsPerSeqStep);
                    if (result is not null) yield return result;
                }
            }
        }
    }

    private static KernelResult RunOurs(RecurrentModel model, string backend, int batch, TimeSpan budget, int threads, double flops)
    {
        using var kernel = StepKernels.Create(model, StepKernels.Parse(backend), batch, threads);
        var states = Enumerable.Range(0, batch).Select(_ => model.NewState()).ToArray();
        var inputs = Inputs(batch * model.InputSize);
        var outputs = new float[batch * model.OutputSize];
        double rate = Measure.MedianRate(() => kernel.Step(inputs, states, outputs), budget) * batch;
        int used = kernel is ManagedKernel managed ? managed.Threads : 1;
        return new KernelResult(kernel.Name, model.Cell.ToName(), model.InputSize, model.HiddenSize, model.LayerCount, batch, used, rate, rate * flops / 1e9, null);
    }

    private static KernelResult? RunOnnx(RecurrentModel model, int batch, TimeSpan budget, int threads, double flops)
    {
        if (model.LayerCount != 1) return null;
        using var peer = new OnnxRecurrentPeer(model, batch, threads);
        Inputs(peer.Input.Length).CopyTo(peer.Input, 0);
        double delta = CompareWithManaged(model, peer);
        double rate = Measure.MedianRate(peer.Step, budget) * batch;
        return new KernelResult("onnxruntime", model.Cell.ToName(), model.InputSize, model.HiddenSize, model.LayerCount, batch, threads, rate, rate * flops / 1e9, delta);
    }

    /// <summary>Three steps of the same inputs through ONNX Runtime and our managed kernel: max |Δh|.</summary>
    private static double CompareWithManaged(RecurrentModel model, OnnxRecurrentPeer peer)
    {
        using var ours = new ManagedKernel(model, peer.Batch, 1);
        var states = Enumerable.Range(0, peer.Batch).Select(_ => model.NewState()).ToArray();
        var outputs = new float[peer.Batch * model.OutputSize];
        for (int t = 0; t < 3; t++)
        {
            peer.Step();
            ours.Step(peer.Input, states, outputs);
        }

        double worst = 0;
        for (int b = 0; b < peer.Batch; b++)
            for (int j = 0; j < model.HiddenSize; j++)
                worst = Math.Max(worst, Math.Abs(peer.Hidden[b * model.HiddenSize + j] - states[b][j]));
        return worst;
    }

    public static RecurrentModel RandomModel(CellKind cell, int input, int hidden, int layers, int seed = 42, int head = 0)
    {
        var random = new Random(seed);
        float bound = 1f / MathF.Sqrt(hidden); // PyTorch's initialisation range
        float[] Values(int n)
        {
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float)(random.NextDouble() * 2 - 1) * bound;
            return v;
        }

        int gates = cell.GateCount() * hidden;
        var stack = Enumerable.Range(0, layers).Select(k =>
        {
            int width = k == 0 ? input : hidden;
            return new RecurrentLayer(cell, width, hidden, Values(gates * width), Values(gates * hidden), Values(gates), Values(gates));
        }).ToList();
        var output = head > 0 ? new OutputHead(Values(head * hidden), Values(head), hidden, HeadActivation.Sigmoid) : null;
        return new RecurrentModel(cell, stack, output);
    }

    private static float[] Inputs(int count)
    {
        var random = new Random(7);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    public static void WriteTable(TextWriter output, IEnumerable<KernelResult> results)
    {
        output.WriteLine($"{"backend",-18} {"cell",-5} {"M",4} {"H",5} {"L",2} {"batch",6} {"thr",4} {"seq-steps/s",14} {"GFLOP/s",9}  note");
        foreach (var r in results)
        {
            string note = r.MaxAbsDeltaVsManaged is { } d ? string.Create(CultureInfo.InvariantCulture, $"max |Δh| vs managed {d:E1}") : "";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Backend,-18} {r.Cell,-5} {r.Input,4} {r.Hidden,5} {r.Layers,2} {r.Batch,6} {r.Threads,4} {r.SeqStepsPerSecond,14:N0} {r.Gflops,9:F1}  {note}"));
        }
    }
}
