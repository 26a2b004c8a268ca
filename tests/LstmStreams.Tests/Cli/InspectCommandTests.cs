using LstmStreams.Cli.Commands;

namespace LstmStreams.Tests.Cli;

public sealed class InspectCommandTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");

    [Fact]
    public void Inspect_describes_a_PyTorch_saved_model()
    {
        var output = new StringWriter();
        int exit = InspectCommand.Run(Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors"), null, output, new StringWriter());
        string text = output.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("cell:             lstm", text);
        Assert.Contains("layers:           2", text);
        Assert.Contains("input size:       4", text);
        Assert.Contains("hidden size:      6", text);
        Assert.Contains("output size:      2", text);
        Assert.Contains("activation sigmoid", text);
        // layer 0: 24·4 + 24·6 + 2·24 = 288; layer 1: 24·6 + 24·6 + 2·24 = 336; head: 2·6 + 2 = 14.
        Assert.Contains("parameters:       638", text);
        Assert.Contains("state/sequence:   96 bytes", text);
    }

    [Fact]
    public void Inspect_explains_a_bad_file_and_fails()
    {
        var errors = new StringWriter();
        int exit = InspectCommand.Run(Path.Combine(Fixtures, "interleaved.csv"), null, new StringWriter(), errors);
        Assert.Equal(2, exit);
        Assert.Contains("interleaved.csv", errors.ToString());
    }
}
