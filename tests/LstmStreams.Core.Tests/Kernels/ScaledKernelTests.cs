using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Tests.Kernels;

/// <summary>
/// The scaling decorator gives exactly what a user gets by standardizing inputs and de-standardizing outputs
/// by hand around the unscaled model, in float32, on every backend; and allocates nothing per step.
/// </summary>
public sealed class ScaledKernelTests
{
    private static readonly float[] FeatureMean = [20.25f, 1200f, 100000f, -3.5f];
    private static readonly float[] FeatureStd = [5f, 300.3f, 2000f, 0.01f];
    private static readonly float[] TargetMean = [499.2f, -12f];
    private static readonly float[] TargetStd = [63.19f, 0.7f];

    private static RecurrentModel Scaled(CellKind cell, FeatureScaling? scaling = null)
    {
        var model = RandomModels.Create(cell, 4, 8, 2, 2, seed: 3);
        return new RecurrentModel(model.Cell, model.Layers, model.Head, null,
            scaling ?? new FeatureScaling(["temp", "rpm", "pressure", "offset"], FeatureMean, FeatureStd, TargetMean, TargetStd));
    }

    /// <summary>Raw observations around each feature's mean, several standard deviations wide.</summary>
    private static float[] RawInputs(Random random, int batch)
    {
        var x = new float[batch * 4];
        for (int i = 0; i < x.Length; i++)
            x[i] = FeatureMean[i % 4] + (float)((random.NextDouble() * 2 - 1) * 3 * FeatureStd[i % 4]);
        return x;
    }

    public static TheoryData<string, string> Cases() => new()
    {
        { "lstm", "reference" }, { "lstm", "auto" }, { "gru", "reference" }, { "gru", "auto" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ScaledKernel_equals_scaling_by_hand_around_the_raw_model(string cell, string backend)
    {
        var model = Scaled(cell == "lstm" ? CellKind.Lstm : CellKind.Gru);
        const int batch = 5;
        using var scaled = StepKernels.Create(model, StepKernels.Parse(backend), batch);
        using var raw = StepKernels.Create(model.WithoutScaling(), StepKernels.Parse(backend), batch);
        Assert.IsType<ScaledKernel>(scaled);
        Assert.IsNotType<ScaledKernel>(raw);
        Assert.EndsWith("+scaling", scaled.Name);

        var ours = Enumerable.Range(0, batch).Select(_ => model.NewState()).ToArray();
        var byHand = Enumerable.Range(0, batch).Select(_ => model.NewState()).ToArray();
        var random = new Random(7);
        var y = new float[batch * 2];
        var expected = new float[batch * 2];
        for (int step = 0; step < 30; step++)
        {
            var x = RawInputs(random, batch);
            var standardized = new float[x.Length];
            for (int i = 0; i < x.Length; i++) standardized[i] = (x[i] - FeatureMean[i % 4]) / FeatureStd[i % 4];

            scaled.Step(x, ours, y);
            raw.Step(standardized, byHand, expected);
            for (int i = 0; i < expected.Length; i++) expected[i] = expected[i] * TargetStd[i % 2] + TargetMean[i % 2];

            Assert.Equal(expected, y); // bit for bit: the same float32 operations
            for (int b = 0; b < batch; b++) Assert.Equal(byHand[b], ours[b]);
        }

        Assert.Contains(y, v => Math.Abs(v) > 10); // the de-standardized scale, not the model's
    }

    [Fact]
    public void ScaledKernel_does_not_touch_the_callers_inputs_or_the_outputs_beyond_the_batch()
    {
        var model = Scaled(CellKind.Lstm);
        using var kernel = StepKernels.Create(model, KernelBackend.Reference, 4);
        var x = RawInputs(new Random(1), 2);
        var copy = x.ToArray();
        var y = new float[4 * 2];
        Array.Fill(y, 42f);
        kernel.Step(x, [model.NewState(), model.NewState()], y);
        Assert.Equal(copy, x);
        Assert.Equal([42f, 42f, 42f, 42f], y[4..]);
    }

    [Fact]
    public void ScaledKernel_applies_only_the_half_the_model_carries()
    {
        var inputsOnly = Scaled(CellKind.Lstm, new FeatureScaling(null, FeatureMean, FeatureStd, null, null));
        var outputsOnly = Scaled(CellKind.Lstm, new FeatureScaling(null, null, null, TargetMean, TargetStd));
        using var raw = StepKernels.Create(inputsOnly.WithoutScaling(), KernelBackend.Reference, 1);
        using var inputsKernel = StepKernels.Create(inputsOnly, KernelBackend.Reference, 1);
        using var outputsKernel = StepKernels.Create(outputsOnly, KernelBackend.Reference, 1);
        var x = RawInputs(new Random(2), 1);
        var standardized = x.Select((v, j) => (v - FeatureMean[j]) / FeatureStd[j]).ToArray();

        var expected = new float[2];
        raw.Step(standardized, [inputsOnly.NewState()], expected);
        var y = new float[2];
        inputsKernel.Step(x, [inputsOnly.NewState()], y);
        Assert.Equal(expected, y);

        raw.Step(x, [inputsOnly.NewState()], expected);
        for (int i = 0; i < 2; i++) expected[i] = expected[i] * TargetStd[i] + TargetMean[i];
        outputsKernel.Step(x, [outputsOnly.NewState()], y);
        Assert.Equal(expected, y);
    }

    [Fact]
    public void StepKernels_does_not_wrap_a_model_whose_scaling_is_only_names()
    {
        var model = Scaled(CellKind.Gru, new FeatureScaling(["a", "b", "c", "d"], null, null, null, null));
        using var kernel = StepKernels.Create(model, KernelBackend.Reference, 1);
        Assert.IsNotType<ScaledKernel>(kernel);
        Assert.Same(model, model.WithoutScaling());
    }

    [Fact]
    public void WithoutScaling_keeps_weights_and_names_and_drops_the_numbers()
    {
        var model = Scaled(CellKind.Lstm);
        var raw = model.WithoutScaling();
        Assert.Same(model.Layers, raw.Layers);
        Assert.Same(model.Head, raw.Head);
        Assert.Equal(model.Scaling.FeatureNames!, raw.Scaling.FeatureNames!);
        Assert.False(raw.Scaling.ChangesNumbers);
        Assert.True(model.Scaling.ChangesNumbers); // the original is unchanged
        Assert.EndsWith("(identity head), scaled inputs and outputs", model.Describe());
        Assert.EndsWith("(identity head)", raw.Describe());
    }

    [Fact]
    public void ScaledKernel_checks_shapes_before_scaling()
    {
        var model = Scaled(CellKind.Lstm);
        using var kernel = StepKernels.Create(model, KernelBackend.Reference, 2);
        var error = Assert.Throws<ArgumentException>(() => kernel.Step(new float[3], [model.NewState()], new float[2]));
        Assert.Contains("inputs must be [1, 4]", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => kernel.Step(new float[12], [model.NewState(), model.NewState(), model.NewState()], new float[6]));
    }

    [Fact]
    public void ScaledKernel_allocates_nothing_per_step()
    {
        var model = Scaled(CellKind.Lstm);
        using var kernel = StepKernels.Create(model, KernelBackend.Managed, 64, threads: 1);
        var states = Enumerable.Range(0, 64).Select(_ => model.NewState()).ToArray();
        var x = RawInputs(new Random(5), 64);
        var y = new float[64 * 2];
        for (int i = 0; i < 50; i++) kernel.Step(x, states, y); // warm up
        Allocations.AssertNone(() => kernel.Step(x, states, y));
    }
}
