using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;
using System.Text.Json;

namespace LstmStreams.Core.Tests.Parity;

/// <summary>
/// One case written by tests/fixtures/pytorch/make_fixtures.py (a model saved as safetensors) or
/// make_torchsave_fixtures.py (saved by torch.save as NAME.pt) and the outputs nn.LSTM / nn.GRU gave over whole
/// sequences (see the fixtures' README for the schema).
/// </summary>
internal sealed class PyTorchFixture
{
    public required string Name { get; init; }
    public required string ModelPath { get; init; }
    public required List<FixtureSequence> Sequences { get; init; }

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");

    public static IEnumerable<string> Names() =>
        Directory.EnumerateFiles(Folder, "*.json")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(n => ModelFile(n!) is not null)
            .Order(StringComparer.Ordinal)!;

    /// <summary>The case's model: NAME.safetensors or NAME.pt, whichever exists.</summary>
    private static string? ModelFile(string name) =>
        new[] { ".safetensors", ".pt" }.Select(e => Path.Combine(Folder, name + e)).FirstOrDefault(File.Exists);

    public static PyTorchFixture Load(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, name + ".json")));
        var sequences = new List<FixtureSequence>();
        foreach (var sequence in document.RootElement.GetProperty("sequences").EnumerateArray())
            sequences.Add(new FixtureSequence(Matrix(sequence.GetProperty("x")), Matrix(sequence.GetProperty("y"))));
        return new PyTorchFixture { Name = name, ModelPath = ModelFile(name)!, Sequences = sequences };
    }

    private static float[][] Matrix(JsonElement rows) =>
        rows.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();

    /// <summary>The fixture's sequences, each four times over (16 rows), stepped interleaved in one batch through
    /// <paramref name="backend"/>: the worst |Δ| against PyTorch's outputs.</summary>
    public static double Interleaved(PyTorchFixture fixture, RecurrentModel model, string backend, int threads)
    {
        // Each sequence four times over (16 rows), so a batch is wide enough to be split across threads.
        var sequences = Enumerable.Range(0, 4).SelectMany(_ => fixture.Sequences).ToList();
        using var kernel = StepKernels.Create(model, StepKernels.Parse(backend), sequences.Count, threads);
        var states = sequences.Select(_ => model.NewState()).ToArray();
        int longest = sequences.Max(s => s.X.Length);
        double worst = 0;
        for (int t = 0; t < longest; t++)
        {
            var live = Enumerable.Range(0, sequences.Count).Where(s => t < sequences[s].X.Length).Reverse().ToArray();
            var inputs = live.SelectMany(s => sequences[s].X[t]).ToArray();
            var outputs = new float[live.Length * model.OutputSize];
            kernel.Step(inputs, live.Select(s => states[s]).ToArray(), outputs);
            for (int b = 0; b < live.Length; b++)
                worst = Math.Max(worst, MaxAbsDelta(sequences[live[b]].Y[t], outputs.AsSpan(b * model.OutputSize, model.OutputSize)));
        }

        return worst;
    }

    /// <summary>The largest |expected - actual| of two outputs.</summary>
    public static double MaxAbsDelta(float[] expected, ReadOnlySpan<float> actual)
    {
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        return worst;
    }
}

internal sealed record FixtureSequence(float[][] X, float[][] Y);
