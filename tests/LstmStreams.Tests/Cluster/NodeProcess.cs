using System.Diagnostics;
using System.Text;

namespace LstmStreams.Tests.Cluster;

/// <summary>`lstm-streams node …` as a real process; its stderr kept (status lines, errors) with the time of each line.</summary>
internal sealed class NodeProcess : IDisposable
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "lstm-streams.dll");
    private readonly StringBuilder _stderr = new();
    private static readonly Stopwatch Clock = Stopwatch.StartNew(); // one clock for every node of a test run and the test itself

    public NodeProcess(string name, string arguments)
    {
        Name = name;
        var info = new ProcessStartInfo("dotnet", $"\"{Cli}\" node {arguments}")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        Process = Process.Start(info)!;
        Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.Append($"[{Clock.Elapsed.TotalSeconds,6:F1}s {name}] ").AppendLine(e.Data);
        };
        Process.OutputDataReceived += (_, _) => { };
        Process.BeginErrorReadLine();
        Process.BeginOutputReadLine();
    }

    /// <summary>Seconds on the clock the nodes' stderr lines are stamped with.</summary>
    public static double Now => Clock.Elapsed.TotalSeconds;

    public string Name { get; }

    public Process Process { get; }

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    public void Terminate() => Process.Kill(Signal.Term);

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }

    /// <summary>Waits until stderr has a line containing <paramref name="text"/>.</summary>
    public void WaitForStderr(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!Stderr.Contains(text, StringComparison.Ordinal))
        {
            if (deadline.Elapsed > timeout) throw new TimeoutException($"{Name} did not print '{text}' within {timeout}. Its stderr:\n{Stderr}");
            if (Process.HasExited) throw new InvalidOperationException($"{Name} exited ({Process.ExitCode}) before printing '{text}'. Its stderr:\n{Stderr}");
            Thread.Sleep(100);
        }
    }

    private static class Signal
    {
        public const int Term = 15;
    }
}

internal static class ProcessSignals
{
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    public static void Kill(this Process process, int signal) => kill(process.Id, signal);
}
