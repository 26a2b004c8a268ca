using System.Text.Json;
using LstmStreams.Core.Import;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Kernels.OpenBlas;
using LstmStreams.Core.Model;
using Xunit.Abstractions;

namespace LstmStreams.Core.Tests.Parity;

/// <summary>
/// nn.LSTM(proj_size=P) fixtures (make_proj_fixtures.py) against PyTorch on every backend, the managed one also
/// split over two threads: ≤ 1e-5 per step, one observation at a time and all sequences interleaved in one
/// batch, and the final h [P] and c [H] of every layer equal to PyTorch's.
/// </summary>
public sealed class ProjectionParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;
    private static readonly string[] Names = ["proj_lstm_1l_head", "proj_lstm_2l_head", "pt_proj_lstm_1l_head", "pt_proj_lstm_2l_head"];

    public static TheoryData<string, string, int> Cases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (string name in Names)
        {
            data.Add(name, "reference", 1);
            data.Add(name, "managed", 1);
            data.Add(name, "managed", 2);
            if (OpenBlasKernel.IsAvailable) data.Add(name, "openblas", 1);
        }

        return data;
    }

    [Fact]
    public void A_projected_fixture_loads_with_P_wide_h_and_H_wide_c()
    {
        var model = ModelLoader.Load(PyTorchFixture.Load("proj_lstm_2l_head").ModelPath);
        Assert.Equal((10, 4, 4), (model.HiddenSize, model.ProjectionSize, model.RealHiddenSize));
        Assert.Equal([4, 4], model.Layers.Select(l => l.ProjectionSize).ToArray());
        Assert.Equal([4, 4], model.Layers.Select(l => l.InputSize).ToArray());
        Assert.Equal(4, model.Head!.HiddenSize);
        Assert.Equal(2 * (4 + 10), model.StateSize);
        Assert.Equal((0, 4, 14, 18), (model.HiddenOffset(0), model.CellOffset(0), model.HiddenOffset(1), model.CellOffset(1)));
        Assert.Contains("lstm 2×10 (proj 4)", model.Describe());
        Assert.Empty(model.IgnoredTensors);
    }

    [Fact]
    public void Load_refuses_a_projection_that_does_not_fit_weight_hh()
    {
        string path = Path.Combine(PyTorchFixture.Folder, "proj_refused", "hr_shape.safetensors");
        var error = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));
        Assert.Contains("'rnn.weight_hr_l0' [3, 7] does not fit 'rnn.weight_hh_l0' [32, 3]", error.Message);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_projected_lstm_matches_PyTorch_step_by_step_and_interleaved(string name, string backend, int threads)
    {
        var fixture = PyTorchFixture.Load(name);
        var model = ModelLoader.Load(fixture.ModelPath);
        Assert.True(model.HasProjection);
        var (single, finalState) = StepByStep(fixture, model, backend, threads);
        double batched = PyTorchFixture.Interleaved(fixture, model, backend, threads);
        output.WriteLine($"parity {name,-22} {backend}/{threads} max|Δ| step-by-step {single:E2}, interleaved {batched:E2}, final h/c {finalState:E2}");
        Assert.True(single <= Tolerance, $"{name} ({backend}): {single:E2}");
        Assert.True(batched <= Tolerance, $"{name} ({backend}, batched): {batched:E2}");
        Assert.True(finalState <= Tolerance, $"{name} ({backend}, final state): {finalState:E2}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_managed_projected_step_allocates_nothing_once_warm(int threads)
    {
        var model = ModelLoader.Load(PyTorchFixture.Load("proj_lstm_2l_head").ModelPath);
        using var kernel = StepKernels.Create(model, KernelBackend.Managed, 64, threads);
        var states = Enumerable.Range(0, 64).Select(_ => model.NewState()).ToArray();
        var inputs = Enumerable.Range(0, 64 * model.InputSize).Select(i => (i % 5 - 2) * 0.3f).ToArray();
        var outputs = new float[64 * model.OutputSize];
        kernel.Step(inputs, states, outputs);
        Kernels.Allocations.AssertNone(() => kernel.Step(inputs, states, outputs));
    }

    [Fact]
    public void A_projected_model_saved_and_loaded_again_gives_the_same_outputs()
    {
        var model = ModelLoader.Load(PyTorchFixture.Load("proj_lstm_2l_head").ModelPath);
        string path = Path.Combine(Path.GetTempPath(), $"proj{Guid.NewGuid():N}.safetensors");
        try
        {
            SafetensorsModelWriter.Save(model, path);
            var again = ModelLoader.Load(path);
            Assert.Equal(model.Layers[1].WeightHr, again.Layers[1].WeightHr);
            Assert.Equal(model.Describe(), again.Describe());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_layer_checks_its_projection_shape_at_the_edge()
    {
        float[] ih = new float[16 * 3], hh2 = new float[16 * 2];
        var layer = new RecurrentLayer(CellKind.Lstm, 3, 4, ih, hh2, null, null, new float[2 * 4]);
        Assert.Equal((2, 2), (layer.ProjectionSize, layer.RealHiddenSize));
        Assert.Contains("0 < P < 4", Assert.Throws<ArgumentException>(() => new RecurrentLayer(CellKind.Lstm, 3, 4, ih, new float[16 * 4], null, null, new float[4 * 4])).Message);
        Assert.Contains("[16, 2]", Assert.Throws<ArgumentException>(() => new RecurrentLayer(CellKind.Lstm, 3, 4, ih, new float[16 * 4], null, null, new float[2 * 4])).Message);
        Assert.Contains("only for LSTM", Assert.Throws<ArgumentException>(() => new RecurrentLayer(CellKind.Gru, 3, 4, new float[12 * 3], new float[12 * 2], null, null, new float[2 * 4])).Message);
        var unprojected = new RecurrentLayer(CellKind.Lstm, 2, 4, new float[16 * 2], new float[16 * 4], null, null);
        Assert.Contains("projection size 0 but layer 0 has 2", Assert.Throws<ArgumentException>(() => new RecurrentModel(CellKind.Lstm, [layer, unprojected], null)).Message);
    }

    private static (double Outputs, double FinalState) StepByStep(PyTorchFixture fixture, RecurrentModel model, string backend, int threads)
    {
        using var kernel = StepKernels.Create(model, StepKernels.Parse(backend), 1, threads);
        var finals = FinalStates(fixture.Name);
        var y = new float[model.OutputSize];
        double worst = 0, worstState = 0;
        for (int s = 0; s < fixture.Sequences.Count; s++)
        {
            var sequence = fixture.Sequences[s];
            var state = model.NewState();
            for (int t = 0; t < sequence.X.Length; t++)
            {
                kernel.Step(sequence.X[t], [state], y);
                worst = Math.Max(worst, PyTorchFixture.MaxAbsDelta(sequence.Y[t], y));
            }

            for (int k = 0; k < model.LayerCount; k++)
            {
                worstState = Math.Max(worstState, PyTorchFixture.MaxAbsDelta(finals[s].H[k], state.AsSpan(model.HiddenOffset(k), model.RealHiddenSize)));
                worstState = Math.Max(worstState, PyTorchFixture.MaxAbsDelta(finals[s].C[k], state.AsSpan(model.CellOffset(k), model.HiddenSize)));
            }
        }

        return (worst, worstState);
    }

    private static List<(float[][] H, float[][] C)> FinalStates(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(PyTorchFixture.Folder, name + ".json")));
        static float[][] Rows(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        return document.RootElement.GetProperty("sequences").EnumerateArray()
            .Select(s => (Rows(s.GetProperty("h_final")), Rows(s.GetProperty("c_final")))).ToList();
    }
}
