using LstmStreams.Core.Import;
using LstmStreams.Core.Kernels;
using Xunit.Abstractions;

namespace LstmStreams.Core.Tests.Parity;

/// <summary>
/// Stepping our model one observation at a time reproduces what PyTorch computed over whole sequences:
/// max |Δ| ≤ 1e-5 per step on short sequences, ≤ 1e-4 over the long ones (2,000+ steps).
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
            double tolerance = sequence.X.Length >= LongSequence ? 1e-4 : 1e-5;
            for (int t = 0; t < sequence.X.Length; t++)
            {
                kernel.Step(sequence.X[t], [state], y);
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
                double tolerance = sequence.X.Length >= LongSequence ? 1e-4 : 1e-5;
                double delta = MaxAbsDelta(sequence.Y[t], outputs.AsSpan(b * model.OutputSize, model.OutputSize));
                Assert.True(delta <= tolerance, $"{name} ({kernel.Name}): sequence {live[b]} step {t} differs by {delta:E2}");
            }
        }
    }

    private static double MaxAbsDelta(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs((double)expected[i] - actual[i]));
        return worst;
    }
}
