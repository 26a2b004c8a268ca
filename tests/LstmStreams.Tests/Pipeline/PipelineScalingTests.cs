using System.Text.Json;
using Akka.Streams.Dsl;
using LstmStreams.Core.Import;
using LstmStreams.Core.Kernels;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Tests.Pipeline;

/// <summary>
/// The runtime takes raw readings for a model that carries its scaling, with no change of its own: the
/// PyTorch fixture <c>lstm_scaled</c> (trained on standardized data, tests/fixtures/pytorch/make_scaled_fixture.py)
/// streamed interleaved through <see cref="LstmStream"/> gives PyTorch's de-standardized outputs.
/// </summary>
public sealed class PipelineScalingTests : PipelineSpec
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch", "lstm_scaled");

    private static List<(float[][] X, float[][] Y)> Sequences()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Fixture + ".json"));
        static float[][] Matrix(JsonElement rows) => rows.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        return document.RootElement.GetProperty("sequences").EnumerateArray()
            .Select(s => (Matrix(s.GetProperty("x")), Matrix(s.GetProperty("y")))).ToList();
    }

    /// <summary>All steps of all sequences, round robin: each sequence's order kept, the batch mixing them.</summary>
    private static List<Observation> Interleaved(List<(float[][] X, float[][] Y)> sequences)
    {
        var observations = new List<Observation>();
        int longest = sequences.Max(s => s.X.Length);
        for (int t = 0; t < longest; t++)
            for (int s = 0; s < sequences.Count; s++)
                if (t < sequences[s].X.Length) observations.Add(new Observation($"pump/{s}", sequences[s].X[t]));
        return observations;
    }

    [Theory]
    [InlineData(KernelBackend.Reference)]
    [InlineData(KernelBackend.Managed)]
    public void Pipeline_standardizes_raw_readings_and_gives_PyTorchs_destandardized_outputs(KernelBackend kernel)
    {
        var model = ModelLoader.Load(Fixture + ".safetensors");
        float targetStd = model.Scaling.TargetStd![0];
        var sequences = Sequences();
        var (predictions, errors, _) = Run(model, Source.From(Interleaved(sequences)), StreamingSettings.Default with { Kernel = kernel });

        Assert.Empty(errors);
        Assert.Equal(sequences.Sum(s => s.X.Length), predictions.Count);
        foreach (var prediction in predictions)
        {
            float expected = sequences[int.Parse(prediction.SequenceId["pump/".Length..], System.Globalization.CultureInfo.InvariantCulture)].Y[prediction.T][0];
            // The parity tolerance in the model's units (1e-5), stretched by target_std, plus 2 ulp of y near 500.
            double tolerance = 1e-5 * targetStd + 2.0 * (MathF.BitIncrement(Math.Abs(expected)) - Math.Abs(expected));
            Assert.True(Math.Abs(prediction.Y[0] - expected) <= tolerance,
                $"{prediction.SequenceId} t={prediction.T}: {prediction.Y[0]} vs PyTorch {expected}");
        }
    }

    [Fact]
    public void Pipeline_on_the_model_WithoutScaling_gives_the_models_own_units()
    {
        var model = ModelLoader.Load(Fixture + ".safetensors").WithoutScaling();
        var sequences = Sequences();
        var (predictions, errors, _) = Run(model, Source.From(Interleaved(sequences)));

        Assert.Empty(errors);
        // Fed raw pressures around 1e5 as if standardized, the raw model saturates: nowhere near 500 kW.
        Assert.All(predictions, p => Assert.True(Math.Abs(p.Y[0]) < 50, $"{p.SequenceId} t={p.T}: {p.Y[0]}"));
    }
}
