using LstmStreams.Core.Import;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Kernels.OpenBlas;
using LstmStreams.Core.Model;
using Xunit.Abstractions;

namespace LstmStreams.Core.Tests.Parity;

/// <summary>
/// The MLP-head fixtures (make_mlp_head_fixtures.py) against PyTorch on every kernel backend, the managed one
/// also split over two threads: ≤ 1e-5 per step, one observation at a time and all sequences in one batch.
/// </summary>
public sealed class MlpHeadParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string, string, int> Cases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (string name in new[] { "mlp_lstm_relu_gelu", "mlp_gru_softmax", "mlp_lstm_named", "pt_mlp_lstm_relu_gelu", "pt_mlp_gru_softmax", "pt_mlp_lstm_named" })
        {
            data.Add(name, "reference", 1);
            data.Add(name, "managed", 1);
            data.Add(name, "managed", 2);
            if (OpenBlasKernel.IsAvailable) data.Add(name, "openblas", 1);
        }

        return data;
    }

    [Fact]
    public void The_fixtures_load_with_their_whole_head()
    {
        var gelu = ModelLoader.Load(PyTorchFixture.Load("mlp_lstm_relu_gelu").ModelPath).Head!;
        Assert.Equal([HeadActivation.Relu, HeadActivation.Gelu, HeadActivation.Identity], gelu.Layers.Select(l => l.Activation));
        Assert.Equal([(8, 16), (16, 12), (12, 3)], gelu.Layers.Select(l => (l.InputSize, l.OutputSize)));
        Assert.Equal(["head.0.", "head.2.", "head.4."], gelu.Layers.Select(l => l.Name));
        var softmax = ModelLoader.Load(PyTorchFixture.Load("pt_mlp_gru_softmax").ModelPath).Head!;
        Assert.Equal([HeadActivation.Tanh, HeadActivation.Softmax], softmax.Layers.Select(l => l.Activation));
        Assert.Equal(["head.0.", "head.3."], softmax.Layers.Select(l => l.Name));
        var named = ModelLoader.Load(PyTorchFixture.Load("mlp_lstm_named").ModelPath);
        Assert.Equal(["head.fc1.", "head.fc2."], named.Head!.Layers.Select(l => l.Name));
        Assert.Empty(named.IgnoredTensors);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_managed_step_with_an_MLP_head_allocates_nothing_once_warm(int threads)
    {
        var model = ModelLoader.Load(PyTorchFixture.Load("mlp_lstm_relu_gelu").ModelPath);
        using var kernel = StepKernels.Create(model, KernelBackend.Managed, 64, threads);
        var states = Enumerable.Range(0, 64).Select(_ => model.NewState()).ToArray();
        var inputs = Enumerable.Range(0, 64 * model.InputSize).Select(i => (i % 5 - 2) * 0.3f).ToArray();
        var outputs = new float[64 * model.OutputSize];
        kernel.Step(inputs, states, outputs);
        Kernels.Allocations.AssertNone(() => kernel.Step(inputs, states, outputs));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void An_MLP_head_matches_PyTorch_step_by_step_and_interleaved(string name, string backend, int threads)
    {
        var fixture = PyTorchFixture.Load(name);
        var model = ModelLoader.Load(fixture.ModelPath);
        Assert.True(model.Head!.Layers.Count >= 2);
        double single = StepByStep(fixture, model, backend, threads);
        double batched = PyTorchFixture.Interleaved(fixture, model, backend, threads);
        output.WriteLine($"parity {name,-24} {backend}/{threads} max|Δ| step-by-step {single:E2}, interleaved {batched:E2}");
        Assert.True(single <= Tolerance, $"{name} ({backend}): {single:E2}");
        Assert.True(batched <= Tolerance, $"{name} ({backend}, batched): {batched:E2}");
    }

    private static double StepByStep(PyTorchFixture fixture, RecurrentModel model, string backend, int threads)
    {
        using var kernel = StepKernels.Create(model, StepKernels.Parse(backend), 1, threads);
        var y = new float[model.OutputSize];
        double worst = 0;
        foreach (var sequence in fixture.Sequences)
        {
            var state = model.NewState();
            for (int t = 0; t < sequence.X.Length; t++)
            {
                kernel.Step(sequence.X[t], [state], y);
                worst = Math.Max(worst, PyTorchFixture.MaxAbsDelta(sequence.Y[t], y));
            }
        }

        return worst;
    }
}
