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
    public void Inspect_shows_an_lstm_projection_and_its_state()
    {
        var output = new StringWriter();
        int exit = InspectCommand.Run(Path.Combine(Fixtures, "proj_lstm_2l_head.safetensors"), null, output, new StringWriter());
        string text = output.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("hidden size:      10", text);
        Assert.Contains("projection:       proj_size 4 (weight_hr [4, 10]: h is 4 wide, c 10)", text);
        // 2 layers × (h [4] + c [10]) floats × 4 bytes.
        Assert.Contains("state/sequence:   112 bytes (28 floats: h [4] and c [10] × 2 layer(s))", text);
        // layer 0: 40·4 + 40·4 + 2·40 + 4·10 = 440; layer 1: the same; head: 2·4 + 2 = 10.
        Assert.Contains("parameters:       890", text);
    }

    [Fact]
    public void Inspect_describes_a_torch_save_file_like_its_safetensors_twin()
    {
        var pt = new StringWriter();
        var st = new StringWriter();
        Assert.Equal(0, InspectCommand.Run(Path.Combine(Fixtures, "pt_lstm_2l_head_sigmoid.pt"), null, pt, new StringWriter()));
        Assert.Equal(0, InspectCommand.Run(Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors"), null, st, new StringWriter()));
        Assert.Contains("format:           torch.save", pt.ToString());
        Assert.Contains("format:           safetensors", st.ToString());
        static IEnumerable<string> Model(StringWriter w) => w.ToString().Split('\n').Where(l => !l.StartsWith("model:", StringComparison.Ordinal) && !l.StartsWith("format:", StringComparison.Ordinal) && !l.StartsWith("metadata:", StringComparison.Ordinal));
        Assert.Equal(Model(st), Model(pt));
        Assert.Contains("parameters:       638", pt.ToString());
    }

    [Fact]
    public void Inspect_refuses_a_pickle_with_a_foreign_class_and_names_it()
    {
        var errors = new StringWriter();
        int exit = InspectCommand.Run(Path.Combine(Fixtures, "torchsave_refused", "foreign_reduce.pt"), null, new StringWriter(), errors);
        Assert.Equal(2, exit);
        Assert.Contains("posix.system", errors.ToString());
    }

    [Fact]
    public void Inspect_shows_the_scaling_a_model_carries()
    {
        var output = new StringWriter();
        int exit = InspectCommand.Run(Path.Combine(Fixtures, "lstm_scaled.safetensors"), null, output, new StringWriter());
        string text = output.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("scaling:          inputs (x - mean) / std, outputs y * std + mean", text);
        Assert.Contains("  input 0          temperature_c  mean 19.910526  std 4.888132", text);
        Assert.Contains("  input 1          rpm  mean 1202.3593  std 302.87454", text);
        Assert.Contains("  input 2          pressure_pa  mean 100053.984  std 1963.8558", text);
        Assert.Contains("  output 0         mean 499.22372  std 63.188972", text);
        Assert.DoesNotContain("metadata:         feature_mean", text); // shown once, read
    }

    [Fact]
    public void Inspect_says_when_a_model_has_no_scaling()
    {
        var output = new StringWriter();
        InspectCommand.Run(Path.Combine(Fixtures, "lstm_1l.safetensors"), null, output, new StringWriter());
        Assert.Contains("scaling:          none", output.ToString());
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
