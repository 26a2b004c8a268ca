using System.Text.Json;
using LstmStreams.Cli.Commands;
using LstmStreams.Cli.Running;
using LstmStreams.Settings;

namespace LstmStreams.Tests.Cli;

/// <summary>`lstm-streams run` end to end on PyTorch fixtures: interleaved sequences in, PyTorch's numbers out.</summary>
public sealed class RunCommandTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-run-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (Akka.Configuration.Config, StreamingSettings) Defaults() =>
        (Akka.Configuration.ConfigurationFactory.Empty, StreamingSettings.Default with { MaxBatchSize = 16 });

    [Theory]
    [InlineData("interleaved.jsonl", "interleaved_expected.jsonl", null)]
    [InlineData("interleaved.csv", "interleaved_csv_expected.jsonl", null)]
    [InlineData("interleaved.csv", "interleaved_csv_expected.jsonl", "csv")]
    public void Run_reproduces_PyTorch_outputs_on_interleaved_sequences(string input, string expected, string? format)
    {
        string output = Path.Combine(_folder, "out.jsonl"), errors = Path.Combine(_folder, "errors.jsonl");
        int exit = RunCommand.Execute(Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors"), Path.Combine(Fixtures, input), output, errors, format, null, Defaults);

        Assert.Equal(0, exit);
        Assert.Equal("", File.ReadAllText(errors));
        var want = Shared.PredictionFiles.Read(Path.Combine(Fixtures, expected));
        var got = Shared.PredictionFiles.Read(output);
        Assert.Equal(want.Count, got.Count);
        foreach (var (seq, rows) in want)
        {
            Assert.True(got.TryGetValue(seq, out var ours), $"no output for {seq}");
            Assert.Equal(rows.Count, ours.Count);
            for (int i = 0; i < rows.Count; i++)
            {
                Assert.Equal(rows[i].T, ours[i].T);
                for (int j = 0; j < rows[i].Y.Length; j++)
                    Assert.True(Math.Abs(rows[i].Y[j] - ours[i].Y[j]) <= 1e-5, $"{seq} step {i}: {ours[i].Y[j]} vs PyTorch {rows[i].Y[j]}");
            }
        }
    }

    [Fact]
    public void Run_reports_bad_lines_and_keeps_going()
    {
        string input = Path.Combine(_folder, "bad.jsonl");
        File.WriteAllLines(input,
        [
            """{"seq": "a", "x": [1, 2, 3, 4]}""",
            """not json""",
            """{"seq": "a", "x": [1, 2]}""",
            """{"x": [1, 2, 3, 4]}""",
            """{"seq": "b", "x": [1, 2, 3, 4], "t": "soon"}""",
            """{"seq": "a", "x": [1, 2, 3, 4]}""",
        ]);
        string output = Path.Combine(_folder, "out.jsonl"), errors = Path.Combine(_folder, "errors.jsonl");
        int exit = RunCommand.Execute(Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors"), input, output, errors, null, null, Defaults);

        Assert.Equal(0, exit);
        var errorLines = File.ReadAllLines(errors).Select(l => JsonDocument.Parse(l).RootElement).OrderBy(e => e.GetProperty("position").GetInt64()).ToList();
        Assert.Equal([2L, 3, 4, 5], errorLines.Select(e => e.GetProperty("position").GetInt64()));
        Assert.Contains("takes 4", errorLines[1].GetProperty("error").GetString());
        Assert.Equal([0L, 1], Shared.PredictionFiles.Read(output)["a"].Select(p => p.T));
    }

    [Fact]
    public void Run_fails_clearly_on_a_missing_model_or_input()
    {
        string output = Path.Combine(_folder, "out.jsonl");
        Assert.Equal(2, RunCommand.Execute(Path.Combine(_folder, "nope.safetensors"), "-", output, null, null, null, Defaults));
        Assert.Equal(3, RunCommand.Execute(Path.Combine(Fixtures, "lstm_1l.safetensors"), Path.Combine(_folder, "missing.jsonl"), output, null, null, null, Defaults));
    }

    [Fact]
    public void Run_creates_the_output_folder_and_fails_with_exit_4_when_the_output_cannot_be_written()
    {
        string model = Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors"), input = Path.Combine(Fixtures, "interleaved.jsonl");
        string nested = Path.Combine(_folder, "new", "folder", "out.jsonl");
        Assert.Equal(0, RunCommand.Execute(model, input, nested, Path.Combine(_folder, "errors", "e.jsonl"), null, null, Defaults));
        Assert.Equal(File.ReadLines(input).Count(), File.ReadLines(nested).Count());

        string aFile = Path.Combine(_folder, "a-file");
        File.WriteAllText(aFile, "");
        Assert.Equal(4, RunCommand.Execute(model, input, Path.Combine(aFile, "out.jsonl"), null, null, null, Defaults));
        Assert.Equal(4, RunCommand.Execute(model, input, Path.Combine(_folder, "out.jsonl"), Path.Combine(aFile, "e.jsonl"), null, null, Defaults));
    }

    [Theory]
    [InlineData("t,x0,x1,x2,x3\n0,1,2,3,4\n", "has no \"seq\" column")]
    [InlineData("seq,t\na,0\n", "has no feature columns")]
    [InlineData("seq,t,x0,x1\na,0,1,2\n", "the CSV header has 2 feature column(s) (x0, x1) but the model takes 4 input(s)")]
    [InlineData("", "is empty")]
    public void Run_refuses_a_CSV_input_whose_header_cannot_be_used_with_exit_3(string text, string reason)
    {
        string input = Path.Combine(_folder, "bad.csv"), output = Path.Combine(_folder, "out.jsonl");
        File.WriteAllText(input, text);
        using var reader = new LstmStreams.Formats.ObservationReader(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), null, _ => { });
        var error = Assert.Throws<InvalidDataException>(() => FileInput.ReadCsvHeader(reader, input, LstmStreams.Formats.InputFields.Default, 4));
        Assert.Contains($"input '{input}'", error.Message);
        Assert.Contains(reason, error.Message);

        Assert.Equal(3, RunCommand.Execute(Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors"), input, output, null, null, null, Defaults));
        Assert.False(File.Exists(output), "nothing is written for an input that is refused as a whole");
    }

    [Theory]
    [InlineData("lstm-streams.max-batch-size = \"lots\"", "lstm-streams.max-batch-size: ")]
    [InlineData("lstm-streams.idle-timeout = forever", "lstm-streams.idle-timeout: ")]
    [InlineData("lstm-streams.kernel = turbo", "unknown kernel backend 'turbo'; use one of: auto, managed, reference, openblas.")]
    [InlineData("lstm-streams.max-in-flight = 0", "lstm-streams.max-in-flight = 0: must be between 1 and")]
    public void A_bad_config_file_is_an_error_naming_the_file_and_the_problem(string hocon, string reason)
    {
        string config = Path.Combine(_folder, "bad.conf");
        File.WriteAllText(config, hocon);
        var error = Assert.Throws<ArgumentException>(() => ReadShared("--config", config));
        Assert.StartsWith($"config file '{config}': ", error.Message);
        Assert.Contains(reason, error.Message);
        Assert.DoesNotContain("(Parameter", error.Message);

        int exit = RunCommand.Execute(Path.Combine(Fixtures, "lstm_1l.safetensors"), Path.Combine(Fixtures, "interleaved.jsonl"), Path.Combine(_folder, "out.jsonl"),
            null, null, null, () => ReadShared("--config", config));
        Assert.Equal(2, exit);
    }

    [Fact]
    public void A_store_that_cannot_be_used_is_refused_before_the_stream_starts()
    {
        string model = Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors"), input = Path.Combine(Fixtures, "interleaved.jsonl");
        string notADatabase = Path.Combine(_folder, "state.db"), output = Path.Combine(_folder, "out.jsonl");
        File.WriteAllText(notADatabase, "this is not an SQLite file, it is long enough to have a header");
        (Akka.Configuration.Config, StreamingSettings) With(string store) =>
            (Akka.Configuration.ConfigurationFactory.Empty, StreamingSettings.Default with
            {
                Persistence = StreamingSettings.Default.Persistence with { Store = LstmStreams.Persistence.StoreLocation.Parse(store) },
            });

        Assert.Equal(2, RunCommand.Execute(model, input, output, null, null, null, () => With("sqlite:" + notADatabase)));
        Assert.Equal(2, RunCommand.Execute(model, input, output, null, null, null, () => With("postgres:Hostx=1;=;Password=secret")));
        Assert.False(File.Exists(output), "nothing runs on a store that cannot be used");
        var error = Assert.Throws<ArgumentException>(() => LstmStreams.Persistence.SnapshotStores.Prepare(LstmStreams.Persistence.StoreLocation.Parse("postgres:Hostx=1;=;Password=secret")));
        Assert.DoesNotContain("secret", error.Message);
        Assert.Contains("connection string is not valid", error.Message);
    }

    [Fact]
    public void An_unknown_kernel_or_a_missing_config_file_is_an_error_naming_it()
    {
        var kernel = Assert.Throws<ArgumentException>(() => ReadShared("--kernel", "turbo"));
        Assert.Equal("--kernel 'turbo' is not a kernel backend: use one of auto, managed, reference, openblas.", kernel.Message);
        string missing = Path.Combine(_folder, "nope.conf");
        var config = Assert.Throws<ArgumentException>(() => ReadShared("--config", missing));
        Assert.Equal($"config file '{missing}' does not exist.", config.Message);
        Assert.Equal(Core.Kernels.KernelBackend.Reference, ReadShared("--kernel", "reference").Item2.Kernel);
    }

    [Fact]
    public void Misspelt_config_keys_are_found_and_dispatchers_of_ones_own_are_not()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            lstm-streams {
              max-batch-sise = 5
              max-in-flight = 100
              kernal = reference
              my-dispatcher { type = PinnedDispatcher }
            }
            akka.loglevel = INFO
            """);
        Assert.Equal(["lstm-streams.kernal", "lstm-streams.max-batch-sise"], SharedOptions.UnknownKeys(config));
        Assert.Empty(SharedOptions.UnknownKeys(Akka.Configuration.ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "lstm-streams.conf")))));
        Assert.Empty(SharedOptions.UnknownKeys(Akka.Configuration.ConfigurationFactory.Empty));
    }

    private static (Akka.Configuration.Config, StreamingSettings) ReadShared(params string[] args)
    {
        var shared = new SharedOptions();
        var command = new System.CommandLine.Command("test");
        shared.AddTo(command);
        return shared.Read(command.Parse(args));
    }
}
