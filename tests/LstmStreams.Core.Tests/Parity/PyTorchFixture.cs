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
}

internal sealed record FixtureSequence(float[][] X, float[][] Y);
