using LstmStreams.Core.Import;
using LstmStreams.Core.Kernels;
using Xunit.Abstractions;

namespace LstmStreams.Core.Tests.Parity;

/// <summary>
/// Stepping our model one observation at a time reproduces what PyTorch computed over whole sequences:
/// max |Δ| ≤ 1e-5 per step on short sequences, ≤ 1e-4 over the long ones (2,000+ steps). Both tolerances are
/// in the model's own units: a model with target scaling returns y · target_std + target_mean, which stretches
/// the model's difference by target_std and lands on float32's coarser grid near a large mean, so there the
/// tolerance is tolerance · max(1, target_std) + 2 ulp(|y|) (<see cref="Tolerance"/>).
/// </summary>
public sealed class PyTorchParityTests(ITestOutputHelper output)
{
    private const int LongSequence = 1000;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string name in PyTorchFixture.Names())
            foreach (string backend in new[] { "reference", "auto" })
                data.Add(name, backend);
        return data;
    }

    [Fact]
    public void Fixtures_are_present()
    {
        var names = PyTorchFixture.Names().ToList();
        Assert.True(names.Count >= 10, $"expected the PyTorch fixtures in {PyTorchFixture.Folder}, found {names.Count}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stepping_one_observation_at_a_time_matches_PyTorch(string name, string backend)
    {
        var fixture = PyTorchFixture.Load(name);
        var model = ModelLoader.Load(fixture.ModelPath);
        using var kernel = StepKernels.Create(model, StepKernels.Parse(backend), 1);
        var y = new float[model.OutputSize];
        double worst = 0;
        foreach (var sequence in fixture.Sequences)
        {
            var state = model.NewState();
            for (int t = 0; t < sequence.X.Length; t++)
            {
                kernel.Step(sequence.X[t], [state], y);
                double tolerance = Tolerance(model, sequence, t);
                double delta = MaxAbsDelta(sequence.Y[t], y);
                worst = Math.Max(worst, delta);
                Assert.True(delta <= tolerance, $"{name} ({kernel.Name}): step {t} of {sequence.X.Length} differs from PyTorch by {delta:E2} > {tolerance:E0}");
            }
        }

        output.WriteLine($"parity {name,-24} {kernel.Name,-16} max|Δ| = {worst:E2} over {fixture.Sequences.Sum(s => s.X.Length)} steps");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stepping_all_sequences_interleaved_in_one_batch_matches_PyTorch(string name, string backend)
    {
        var fixture = PyTorchFixture.Load(name);
        var model = ModelLoader.Load(fixture.ModelPath);
        int count = fixture.Sequences.Count;
        using var kernel = StepKernels.Create(model, StepKernels.Parse(backend), count);
        var states = fixture.Sequences.Select(_ => model.NewState()).ToArray();
        int longest = fixture.Sequences.Max(s => s.X.Length);
        for (int t = 0; t < longest; t++)
        {
            // The sequences still running at step t, in reverse order to show the batch order does not matter.
            var live = Enumerable.Range(0, count).Where(s => t < fixture.Sequences[s].X.Length).Reverse().ToArray();
            var inputs = live.SelectMany(s => fixture.Sequences[s].X[t]).ToArray();
            var outputs = new float[live.Length * model.OutputSize];
            kernel.Step(inputs, live.Select(s => states[s]).ToArray(), outputs);
            for (int b = 0; b < live.Length; b++)
            {
                var sequence = fixture.Sequences[live[b]];
                double tolerance = Tolerance(model, sequence, t);
                double delta = MaxAbsDelta(sequence.Y[t], outputs.AsSpan(b * model.OutputSize, model.OutputSize));
                Assert.True(delta <= tolerance, $"{name} ({kernel.Name}): sequence {live[b]} step {t} differs by {delta:E2}");
            }
        }
    }

    [Fact]
    public void The_scaled_fixture_carries_its_scaling_and_WithoutScaling_gives_the_models_raw_outputs()
    {
        var fixture = PyTorchFixture.Load("lstm_scaled");
        var model = ModelLoader.Load(fixture.ModelPath);
        var scaling = model.Scaling;
        Assert.Equal(["temperature_c", "rpm", "pressure_pa"], scaling.FeatureNames!);
        Assert.True(scaling.ScalesInputs && scaling.ScalesOutputs);

        // The raw model stepped on inputs standardized by hand, de-standardized by hand, is PyTorch's y; fed the
        // raw inputs it gives something else entirely (its own units, on inputs thousands of σ off).
        var raw = model.WithoutScaling();
        using var kernel = StepKernels.Create(raw, KernelBackend.Reference, 1);
        var sequence = fixture.Sequences[0];
        var byHand = raw.NewState();
        var unscaled = raw.NewState();
        var x = new float[3];
        var y = new float[1];
        double worstUnscaled = 0;
        for (int t = 0; t < sequence.X.Length; t++)
        {
            for (int j = 0; j < 3; j++) x[j] = (sequence.X[t][j] - scaling.FeatureMean![j]) / scaling.FeatureStd![j];
            kernel.Step(x, [byHand], y);
            float destandardized = y[0] * scaling.TargetStd![0] + scaling.TargetMean![0];
            Assert.True(MaxAbsDelta(sequence.Y[t], [destandardized]) <= Tolerance(model, sequence, t), $"step {t}");

            kernel.Step(sequence.X[t], [unscaled], y);
            worstUnscaled = Math.Max(worstUnscaled, MaxAbsDelta(sequence.Y[t], y));
        }

        Assert.True(worstUnscaled > 100, $"without scaling the outputs should be in standardized units, far from PyTorch's kW; max |Δ| {worstUnscaled}");
    }

    /// <summary>The tolerance for step <paramref name="t"/>: see the class summary.</summary>
    private static double Tolerance(Model.RecurrentModel model, FixtureSequence sequence, int t)
    {
        double tolerance = sequence.X.Length >= LongSequence ? 1e-4 : 1e-5;
        if (model.Scaling.TargetStd is not { } std) return tolerance;
        double stretch = 1, ulps = 0;
        for (int i = 0; i < std.Length; i++)
        {
            stretch = Math.Max(stretch, std[i]);
            float expected = Math.Abs(sequence.Y[t][i]);
            ulps = Math.Max(ulps, 2.0 * (MathF.BitIncrement(expected) - expected));
        }

        return tolerance * stretch + ulps;
    }

    private static double MaxAbsDelta(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs((double)expected[i] - actual[i]));
        return worst;
    }
}
