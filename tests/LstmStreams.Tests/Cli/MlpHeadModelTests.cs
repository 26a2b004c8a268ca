using LstmStreams.Cli.Commands;
using LstmStreams.Settings;

namespace LstmStreams.Tests.Cli;

/// <summary>`run` and `inspect` with a model whose head is an nn.Sequential of Linear layers (make_mlp_head_fixtures.py).</summary>
public sealed class MlpHeadModelTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-run-mlp-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (Akka.Configuration.Config, StreamingSettings) Defaults() =>
        (Akka.Configuration.ConfigurationFactory.Empty, StreamingSettings.Default with { MaxBatchSize = 16 });

    [Theory]
    [InlineData("mlp_lstm_relu_gelu.safetensors")]
    [InlineData("pt_mlp_lstm_relu_gelu.pt")]
    public void Run_with_an_MLP_head_reproduces_PyTorch_outputs_on_interleaved_sequences(string model)
    {
        string output = Path.Combine(_folder, "out.jsonl"), errors = Path.Combine(_folder, "errors.jsonl");
        int exit = RunCommand.Execute(Path.Combine(Fixtures, model), Path.Combine(Fixtures, "interleaved.jsonl"), output, errors, null, null, Defaults);

        Assert.Equal(0, exit);
        Assert.Equal("", File.ReadAllText(errors));
        double worst = Shared.PredictionFiles.MaxDifference(Path.Combine(Fixtures, "mlp_interleaved_expected.jsonl"), output);

        Assert.True(worst <= 1e-5, $"max |Δ| {worst:E2} > 1e-5");
    }

    [Fact]
    public void Run_refuses_an_MLP_head_with_an_undeclared_gap_with_exit_2_and_writes_nothing()
    {
        string output = Path.Combine(_folder, "out.jsonl");
        int exit = RunCommand.Execute(Path.Combine(Fixtures, "mlp_refused", "gap_undeclared.pt"), Path.Combine(Fixtures, "interleaved.jsonl"), output, null, null, null, Defaults);
        Assert.Equal(2, exit);
        Assert.False(File.Exists(output) && new FileInfo(output).Length > 0, "no prediction is written for a refused model");
    }

    [Fact]
    public void Inspect_lists_the_head_layers_widths_and_activations()
    {
        var output = new StringWriter();
        Assert.Equal(0, InspectCommand.Run(Path.Combine(Fixtures, "mlp_lstm_relu_gelu.safetensors"), null, output, new StringWriter()));
        string text = output.ToString();
        Assert.Contains("output size:      3", text);
        Assert.Contains("head:             3 Linear layers, 8 → 16 → 12 → 3", text);
        Assert.Contains("head layer 0     head.0.weight [16, 8] + bias, activation relu", text);
        Assert.Contains("head layer 1     head.2.weight [12, 16] + bias, activation gelu", text);
        Assert.Contains("head layer 2     head.4.weight [3, 12] + bias, activation identity", text);
        Assert.DoesNotContain("ignored tensors", text);
    }

    [Fact]
    public void Inspect_refuses_a_head_with_a_layer_of_another_kind_and_says_why()
    {
        var errors = new StringWriter();
        Assert.Equal(2, InspectCommand.Run(Path.Combine(Fixtures, "mlp_refused", "unknown_layer.safetensors"), null, new StringWriter(), errors));
        Assert.Contains("module 'head.1' holds 'head.1.bias' [16], 'head.1.weight' [16], which is not an nn.Linear", errors.ToString());
    }
}
