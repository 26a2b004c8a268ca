using System.Diagnostics;

namespace LstmStreams.Tests.Cli;

/// <summary>`lstm-streams …` as a real process (the build next to the tests), for what only a process shows: its
/// exit code, what it writes to stdout and stderr, how it behaves when they are not a terminal.</summary>
internal static class CliProcess
{
    public static ProcessStartInfo Info(string arguments, bool stdin = false) =>
        new("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "lstm-streams.dll")}\" {arguments}")
        {
            RedirectStandardInput = stdin,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

    /// <summary>Runs to the end (at most a minute): exit code, stdout, stderr.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string arguments)
    {
        using var process = Process.Start(Info(arguments))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout, stderr);
    }
}
