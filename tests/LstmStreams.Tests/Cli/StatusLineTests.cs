using System.Diagnostics;
using System.Text.RegularExpressions;

namespace LstmStreams.Tests.Cli;

/// <summary>`run` with stderr not a terminal (a service, CI): plain status lines with key=value words.</summary>
public sealed partial class StatusLineTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-status-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Run_prints_a_status_line_every_status_interval_when_stderr_is_not_a_terminal()
    {
        string output = Path.Combine(_folder, "out.jsonl");
        var info = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "lstm-streams.dll")}\" run --model \"{Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors")}\" " +
            $"--input - --output \"{output}\" --store none --status-interval 300ms")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = await File.ReadAllLinesAsync(Path.Combine(Fixtures, "interleaved.jsonl"));
        foreach (string line in lines) await process.StandardInput.WriteLineAsync(line);
        await process.StandardInput.FlushAsync();
        await Task.Delay(1500); // the input stays open: several status intervals
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, process.ExitCode);
        var status = StatusLine().Matches(await stderr);
        Assert.True(status.Count >= 3, "status lines:\n" + await stderr);
        Assert.Contains(status, m => m.Groups["done"].Success && m.Groups["obs"].Value == lines.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ run(?<done> done)? obs=(?<obs>\d+) obs_per_s=\d+ batch=[\d.]+ live=\d+ elapsed_s=[\d.]+$", RegexOptions.Multiline)]
    private static partial Regex StatusLine();
}
