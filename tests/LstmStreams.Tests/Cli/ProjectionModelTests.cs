using LstmStreams.Cli.Commands;
using LstmStreams.Settings;

namespace LstmStreams.Tests.Cli;

/// <summary>`run` with an nn.LSTM(proj_size=…) model (make_proj_fixtures.py): PyTorch's outputs on interleaved sequences.</summary>
public sealed class ProjectionModelTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-run-proj-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("proj_lstm_2l_head.safetensors", "auto")]
    [InlineData("pt_proj_lstm_2l_head.pt", "auto")]
    [InlineData("proj_lstm_2l_head.safetensors", "reference")]
    public void Run_with_a_projected_LSTM_reproduces_PyTorch_outputs(string model, string kernel)
    {
        string output = Path.Combine(_folder, "out.jsonl"), errors = Path.Combine(_folder, "errors.jsonl");
        var settings = StreamingSettings.Default with { MaxBatchSize = 16, Kernel = Core.Kernels.StepKernels.Parse(kernel) };
        int exit = RunCommand.Execute(Path.Combine(Fixtures, model), Path.Combine(Fixtures, "interleaved.jsonl"), output, errors, null, null,
            () => (Akka.Configuration.ConfigurationFactory.Empty, settings));

        Assert.Equal(0, exit);
        Assert.Equal("", File.ReadAllText(errors));
        double worst = Shared.PredictionFiles.MaxDifference(Path.Combine(Fixtures, "proj_interleaved_expected.jsonl"), output);

        Assert.True(worst <= 1e-5, $"max |Δ| {worst:E2} > 1e-5");
    }
}
