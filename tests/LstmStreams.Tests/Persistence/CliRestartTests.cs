using System.Diagnostics;
using System.Text.Json;
using LstmStreams.Cli.Commands;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Tests.Persistence;

/// <summary>
/// `lstm-streams run` as a real process on an SQLite store: stopped gracefully or killed with SIGKILL after
/// the snapshot interval, then restarted with the whole input replayed. The outputs after the restart equal
/// an uninterrupted run's, and the replayed observations are dropped as duplicates.
/// </summary>
public sealed class CliRestartTests : IDisposable
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch", "lstm_2l_head_sigmoid.safetensors");
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "lstm-streams.dll");
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-restart-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static List<string> InputLines(int sequences, int steps, int seed)
    {
        var random = new Random(seed);
        var lines = new List<string>();
        var next = new int[sequences];
        var tickets = Enumerable.Range(0, sequences).SelectMany(s => Enumerable.Repeat(s, steps)).OrderBy(_ => random.Next()).ToList();
        foreach (int s in tickets)
        {
            var x = TestModels.Features(random, 4);
            lines.Add(JsonSerializer.Serialize(new { seq = $"unit/{s}", x, t = 1_000 + 10 * next[s]++ }));
        }

        return lines;
    }

    private static Dictionary<(string, long), float[]> ReadPredictions(string path) =>
        File.ReadAllLines(path).Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(e => (e.GetProperty("seq").GetString()!, e.GetProperty("t").GetInt64()),
                e => e.GetProperty("y").EnumerateArray().Select(v => v.GetSingle()).ToArray());

    [Theory]
    [InlineData("stdin-closed")]
    [InlineData("sigterm")]
    [InlineData("sigkill")]
    public void Run_restarted_on_the_same_store_continues_exactly_and_drops_replayed_observations(string stop)
    {
        bool kill = stop == "sigkill";
        var lines = InputLines(sequences: 120, steps: 10, seed: 21);
        string all = Path.Combine(_folder, "all.jsonl");
        File.WriteAllLines(all, lines);
        string store = "sqlite:" + Path.Combine(_folder, "state.db");
        string config = Path.Combine(_folder, "fast-snapshots.conf");
        File.WriteAllText(config, "lstm-streams.persistence.snapshot-interval = 200ms\n");

        // The uninterrupted run, in process, without a store.
        string expectedPath = Path.Combine(_folder, "expected.jsonl");
        Assert.Equal(0, RunCommand.Execute(Model, all, expectedPath, Path.Combine(_folder, "expected-errors.jsonl"), null, null,
            () => (Akka.Configuration.ConfigurationFactory.Empty, StreamingSettings.Default)));
        var expected = ReadPredictions(expectedPath);
        Assert.Equal(lines.Count, expected.Count);

        // First process: half the input through stdin, then SIGKILL after the snapshot interval, or stdin closed (graceful).
        int half = lines.Count / 2;
        string firstOut = Path.Combine(_folder, "first.jsonl");
        using (var first = Start($"run --model \"{Model}\" --input - --output \"{firstOut}\" --store \"{store}\" --config \"{config}\""))
        {
            try
            {
                foreach (string line in lines.Take(half)) first.StandardInput.WriteLine(line);
                first.StandardInput.Flush();
                WaitFor(() => File.Exists(firstOut) && LinesIn(firstOut) == half, "the first half's predictions");
                if (kill)
                {
                    Thread.Sleep(2000); // several snapshot intervals
                    first.Kill(entireProcessTree: true);
                }
                else if (stop == "sigterm")
                {
                    // A service manager's stop, with the input still open and idle: graceful, every state written.
                    using var signal = Process.Start("kill", $"-TERM {first.Id}");
                    signal.WaitForExit();
                }
                else
                {
                    first.StandardInput.Close();
                }

                Assert.True(first.WaitForExit(30_000), $"the first run did not stop ({stop})");
                if (!kill) Assert.Equal(stop == "sigterm" ? 130 : 0, first.ExitCode); // an interrupt is 130, after the graceful save
            }
            finally
            {
                if (!first.HasExited) first.Kill(entireProcessTree: true); // a failed assertion leaves no process behind
            }
        }

        // Second process: the whole input replayed, as an at-least-once source would after a crash.
        string secondOut = Path.Combine(_folder, "second.jsonl"), secondErrors = Path.Combine(_folder, "second-errors.jsonl");
        using (var second = Start($"run --model \"{Model}\" --input \"{all}\" --output \"{secondOut}\" --errors \"{secondErrors}\" --store \"{store}\" --config \"{config}\""))
        {
            bool finished = second.WaitForExit(60_000);
            if (!finished) second.Kill(entireProcessTree: true);
            Assert.True(finished, "the second run did not finish");
            Assert.Equal(0, second.ExitCode);
        }

        var errors = File.ReadAllLines(secondErrors);
        Assert.All(errors, e => Assert.Equal("duplicate", JsonDocument.Parse(e).RootElement.GetProperty("kind").GetString()));
        if (kill)
        {
            // At least once: a state written a little before the kill replays its last observations (their
            // outputs equal the uninterrupted run's too); whatever the store had is not applied twice.
            Assert.InRange(errors.Length, 1, half);
        }
        else
        {
            Assert.Equal(half, errors.Length);
        }

        var resumed = ReadPredictions(secondOut);
        Assert.Equal(lines.Count - errors.Length, resumed.Count);
        foreach (var (key, y) in resumed) Assert.Equal(expected[key], y); // same kernel ⇒ identical
        foreach (var (key, y) in ReadPredictions(firstOut)) Assert.Equal(expected[key], y);
    }

    private static Process Start(string arguments)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{Cli}\" {arguments}")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    /// <summary>Complete lines in a file another process is writing (and holds a lock on).</summary>
    private static int LinesIn(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        int lines = 0, b;
        while ((b = stream.ReadByte()) >= 0) if (b == '\n') lines++;
        return lines;
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"timed out waiting for {what}");
            Thread.Sleep(50);
        }
    }
}
