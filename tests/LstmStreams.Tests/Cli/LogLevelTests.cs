namespace LstmStreams.Tests.Cli;

/// <summary>The user's <c>akka.loglevel</c> wins over the command line's default (warnings and up).</summary>
public sealed class LogLevelTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-log-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("akka.loglevel = INFO", true)]
    [InlineData("", false)]
    public async Task Run_logs_at_the_level_the_config_file_sets(string config, bool infoExpected)
    {
        string file = Path.Combine(_folder, "log.conf");
        await File.WriteAllTextAsync(file, config);
        var (exit, stdout, stderr) = await CliProcess.RunAsync($"run --model \"{Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors")}\" " +
            $"--input \"{Path.Combine(Fixtures, "interleaved.jsonl")}\" --output \"{Path.Combine(_folder, "out.jsonl")}\" --store none --config \"{file}\"");
        Assert.Equal(0, exit);
        Assert.Equal("", stdout); // predictions go to the file; nothing is logged to stdout
        Assert.Equal(infoExpected, stderr.Contains("[INFO]", StringComparison.Ordinal));
    }
}
