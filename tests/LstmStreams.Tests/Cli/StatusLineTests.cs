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
        using var process = Process.Start(CliProcess.Info($"run --model \"{Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors")}\" " +
            $"--input - --output \"{output}\" --store none --status-interval 300ms", stdin: true))!;
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

    [Fact]
    public async Task Run_says_at_start_where_state_comes_from_and_how_many_sequences_a_store_holds()
    {
        string store = "sqlite:" + Path.Combine(_folder, "state.db");
        string input = Path.Combine(Fixtures, "interleaved.jsonl");
        var (firstExit, first) = await RunAsync($"--input \"{input}\" --output \"{Path.Combine(_folder, "a.jsonl")}\" --store {store}");
        var (secondExit, second) = await RunAsync($"--input \"{input}\" --output \"{Path.Combine(_folder, "b.jsonl")}\" --store {store}");
        var (_, none) = await RunAsync($"--input \"{input}\" --output \"{Path.Combine(_folder, "c.jsonl")}\" --store none");

        Assert.Equal(0, firstExit);
        Assert.Contains("holds no sequence", first);
        Assert.Matches(@"state: sqlite:.*state\.db holds 50 sequences under prefix 'seq:': observations of those continue them", second);
        Assert.Equal(0, secondExit); // lines with t are replayed duplicates (error records), those without continue the count
        Assert.Contains("state: none: every sequence starts from zeros", none);
    }

    private async Task<(int Exit, string Stderr)> RunAsync(string arguments)
    {
        var (exit, _, stderr) = await CliProcess.RunAsync($"run --model \"{Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors")}\" " +
            $"--errors \"{Path.Combine(_folder, "errors.jsonl")}\" {arguments}");
        return (exit, stderr);
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ run(?<done> done)? obs=(?<obs>\d+) obs_per_s=\d+ batch=[\d.]+ live=\d+ elapsed_s=[\d.]+$", RegexOptions.Multiline)]
    private static partial Regex StatusLine();
}
