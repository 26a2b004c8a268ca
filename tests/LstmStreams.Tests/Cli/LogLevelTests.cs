using System.Diagnostics;

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
        var info = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "lstm-streams.dll")}\" run --model \"{Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors")}\" " +
            $"--input \"{Path.Combine(Fixtures, "interleaved.jsonl")}\" --output \"{Path.Combine(_folder, "out.jsonl")}\" --store none --config \"{file}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, process.ExitCode);
        Assert.Equal("", await stdout); // predictions go to the file; nothing is logged to stdout
        Assert.Equal(infoExpected, stderr.Contains("[INFO]", StringComparison.Ordinal));
    }
}
