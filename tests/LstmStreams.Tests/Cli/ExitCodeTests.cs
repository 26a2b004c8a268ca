using LstmStreams.Cli.Commands;
using LstmStreams.Settings;

namespace LstmStreams.Tests.Cli;

/// <summary>The exit codes scripts rely on (README, "Exit codes"); 130 after SIGTERM is in CliRestartTests.</summary>
public sealed class ExitCodeTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");
    private static readonly string Model = Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors");
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-exit-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (Akka.Configuration.Config, StreamingSettings) Defaults() => (Akka.Configuration.ConfigurationFactory.Empty, StreamingSettings.Default);

    private string PathOf(string name) => Path.Combine(_folder, name);

    [Fact]
    public void Run_with_every_line_rejected_exits_5()
    {
        // CSV read as JSONL (a .jsonl name, no --format csv): every line is an error record, none a prediction.
        File.Copy(Path.Combine(Fixtures, "interleaved.csv"), PathOf("piped.jsonl"));
        int exit = RunCommand.Execute(new RunOptions(Model, PathOf("piped.jsonl"), PathOf("out.jsonl")) { Errors = PathOf("errors.jsonl") }, Defaults);
        Assert.Equal(5, exit);
        Assert.Equal("", File.ReadAllText(PathOf("out.jsonl")));
        Assert.NotEmpty(File.ReadAllLines(PathOf("errors.jsonl")));
    }

    [Fact]
    public void Run_past_max_errors_stops_and_exits_6_and_within_it_exits_0()
    {
        var good = File.ReadAllLines(Path.Combine(Fixtures, "interleaved.jsonl"));
        var lines = good.SelectMany((line, i) => i % 10 == 0 ? new[] { line, "{not json" } : new[] { line }).ToList(); // one bad line in eleven
        File.WriteAllLines(PathOf("in.jsonl"), lines);
        int bad = lines.Count(l => l == "{not json");

        Assert.Equal(0, RunCommand.Execute(new RunOptions(Model, PathOf("in.jsonl"), PathOf("out.jsonl")) { Errors = PathOf("e.jsonl"), MaxErrors = bad }, Defaults));
        Assert.Equal(good.Length, File.ReadAllLines(PathOf("out.jsonl")).Length);

        Assert.Equal(6, RunCommand.Execute(new RunOptions(Model, PathOf("in.jsonl"), PathOf("out2.jsonl")) { Errors = PathOf("e2.jsonl"), MaxErrors = 2 }, Defaults));
        Assert.True(File.ReadAllLines(PathOf("e2.jsonl")).Length > 2);
    }

    [Fact]
    public void Run_past_max_errors_fails_fast_without_reading_the_rest()
    {
        // Valid JSON with 3 features for a 4-input model: each is refused by the runtime, one error record each.
        File.WriteAllLines(PathOf("wide.jsonl"), Enumerable.Range(0, 300_000).Select(i => $"{{\"seq\":\"s{i % 50}\",\"x\":[1,2,3]}}"));
        Assert.Equal(6, RunCommand.Execute(new RunOptions(Model, PathOf("wide.jsonl"), PathOf("out.jsonl")) { Errors = PathOf("e.jsonl"), MaxErrors = 10 }, Defaults));
        Assert.InRange(File.ReadAllLines(PathOf("e.jsonl")).Length, 11, 200_000);
    }

    [Fact]
    public async Task A_usage_error_prints_to_stderr_only_and_exits_2()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync($"run --model \"{Model}\" --no-such-flag");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains("--no-such-flag", stderr);
        Assert.Contains("Usage:", stderr);
    }
}
