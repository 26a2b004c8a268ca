using LstmStreams.Cli.Commands;
using LstmStreams.Settings;

namespace LstmStreams.Tests.Cli;

/// <summary>`lstm-streams run --model m.pt`: a torch.save state_dict streams like its safetensors twin.</summary>
public sealed class RunTorchSaveModelTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-run-pt-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (Akka.Configuration.Config, StreamingSettings) Defaults() =>
        (Akka.Configuration.ConfigurationFactory.Empty, StreamingSettings.Default with { MaxBatchSize = 16 });

    [Fact]
    public void Run_with_a_torch_save_model_reproduces_PyTorch_outputs_on_interleaved_sequences()
    {
        // pt_lstm_2l_head_sigmoid.pt holds the weights of lstm_2l_head_sigmoid, whose outputs the stream expects.
        string output = Path.Combine(_folder, "out.jsonl"), errors = Path.Combine(_folder, "errors.jsonl");
        int exit = RunCommand.Execute(Path.Combine(Fixtures, "pt_lstm_2l_head_sigmoid.pt"), Path.Combine(Fixtures, "interleaved.jsonl"), output, errors, null, null, Defaults);

        Assert.Equal(0, exit);
        Assert.Equal("", File.ReadAllText(errors));
        double worst = Shared.PredictionFiles.MaxDifference(Path.Combine(Fixtures, "interleaved_expected.jsonl"), output);

        Assert.True(worst <= 1e-5, $"max |Δ| {worst:E2} > 1e-5");
    }

    [Fact]
    public void Run_refuses_a_whole_Module_pickle_with_exit_2()
    {
        // The message (with the state_dict fix) is asserted in Core's TorchSaveFileTests; stderr is shared here.
        string output = Path.Combine(_folder, "out.jsonl");
        int exit = RunCommand.Execute(Path.Combine(Fixtures, "torchsave_refused", "module.pt"), Path.Combine(Fixtures, "interleaved.jsonl"), output, null, null, null, Defaults);
        Assert.Equal(2, exit);
        Assert.False(File.Exists(output) && new FileInfo(output).Length > 0, "no prediction is written for a refused model");
    }
}
