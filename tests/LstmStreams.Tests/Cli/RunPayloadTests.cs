using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LstmStreams.Cli.Commands;
using LstmStreams.Settings;

namespace LstmStreams.Tests.Cli;

/// <summary>`run` on devices' own payloads: named fields, reordered and extra CSV columns, ISO-8601 t, CSV output,
/// the model's scaling; PyTorch's numbers out, bad records as error records naming the field.</summary>
public sealed class RunPayloadTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");
    private static readonly string Model = Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors");
    private static readonly DateTimeOffset Base = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-payload-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (Akka.Configuration.Config, StreamingSettings) Defaults() =>
        (Akka.Configuration.ConfigurationFactory.Empty, StreamingSettings.Default with { MaxBatchSize = 16 });

    private string PathOf(string name) => Path.Combine(_folder, name);

    /// <summary>The interleaved fixture's lines, each with a time in seconds.</summary>
    private static List<(string Seq, long T, JsonArray X)> Interleaved()
    {
        var counts = new Dictionary<string, int>();
        var lines = new List<(string, long, JsonArray)>();
        foreach (string line in File.ReadLines(Path.Combine(Fixtures, "interleaved.jsonl")))
        {
            var node = JsonNode.Parse(line)!;
            string seq = node["seq"]!.GetValue<string>();
            counts[seq] = counts.GetValueOrDefault(seq) + 1;
            // A line's own t (some sequences have one), else the time Base + k seconds for its k-th step.
            long t = node["t"] is { } own ? own.GetValue<long>() : Base.ToUnixTimeSeconds() + counts[seq] - 1;
            lines.Add((seq, t, node["x"]!.AsArray()));
        }

        return lines;
    }

    private static void AssertMatches(Dictionary<string, List<(long T, float[] Y)>> want, Dictionary<string, List<(long T, float[] Y)>> got, Func<long, long> t, double tolerance)
    {
        Assert.Equal(want.Count, got.Count);
        foreach (var (seq, rows) in want)
        {
            Assert.True(got.TryGetValue(seq, out var ours), $"no output for {seq}");
            Assert.Equal(rows.Count, ours.Count);
            for (int i = 0; i < rows.Count; i++)
            {
                Assert.Equal(t(rows[i].T), ours[i].T);
                for (int j = 0; j < rows[i].Y.Length; j++)
                    Assert.True(Math.Abs(rows[i].Y[j] - ours[i].Y[j]) <= tolerance, $"{seq} step {i}: {ours[i].Y[j]} vs PyTorch {rows[i].Y[j]}");
            }
        }
    }

    [Fact]
    public void Run_reads_named_fields_and_iso_times_and_gives_PyTorchs_outputs()
    {
        // {"dev": "sensor/7", "b": …, "ts": "2026-12-02T09:00:03Z", "note": "…", "d": …, "a": …, "c": …}: fields in any order, extras ignored.
        var lines = Interleaved().Select(l => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["dev"] = l.Seq, ["b"] = l.X[1]!.GetValue<double>(), ["ts"] = DateTimeOffset.FromUnixTimeSeconds(l.T).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["note"] = "ok", ["d"] = l.X[3]!.GetValue<double>(), ["a"] = l.X[0]!.GetValue<double>(), ["c"] = l.X[2]!.GetValue<double>(),
        }));
        File.WriteAllLines(PathOf("devices.jsonl"), lines);
        int exit = RunCommand.Execute(new RunOptions(Model, PathOf("devices.jsonl"), PathOf("out.jsonl"))
        {
            Errors = PathOf("errors.jsonl"), Features = "a,b,c,d", SequenceField = "dev", TimeField = "ts", TimeUnit = "s",
        }, Defaults);

        Assert.Equal(0, exit);
        Assert.Equal("", File.ReadAllText(PathOf("errors.jsonl")));
        AssertMatches(Shared.PredictionFiles.Read(Path.Combine(Fixtures, "interleaved_expected.jsonl")), Shared.PredictionFiles.Read(PathOf("out.jsonl")),
            t => t >= 1_000_000_000 ? t : Base.ToUnixTimeSeconds() + t, 1e-5); // PyTorch's file numbers steps without a t from 0
    }

    [Fact]
    public void Run_reads_reordered_and_extra_csv_columns_and_writes_csv()
    {
        var rows = File.ReadAllLines(Path.Combine(Fixtures, "interleaved.csv"));
        var header = rows[0].Split(','); // seq,t,x0,x1,x2,x3
        int[] order = [3, 1, 5, 0, 2, 4]; // x1,t,x3,seq,x0,x2
        File.WriteAllLines(PathOf("in.csv"), rows.Select((row, i) =>
        {
            var f = row.Split(',');
            return string.Join(',', order.Select(c => i == 0 ? header[c].ToUpperInvariant() : f[c])) + (i == 0 ? ",site" : ",north");
        }));
        int exit = RunCommand.Execute(new RunOptions(Model, PathOf("in.csv"), PathOf("out.csv")) { Errors = PathOf("errors.jsonl"), Features = "x0,x1,x2,x3" }, Defaults);

        Assert.Equal(0, exit);
        Assert.Equal("", File.ReadAllText(PathOf("errors.jsonl")));
        var csv = File.ReadAllLines(PathOf("out.csv"));
        Assert.Equal("seq,t,y0,y1", csv[0]);
        var got = new Dictionary<string, List<(long T, float[] Y)>>();
        foreach (string line in csv.Skip(1))
        {
            var f = line.Split(',');
            if (!got.TryGetValue(f[0], out var list)) got[f[0]] = list = [];
            list.Add((long.Parse(f[1], CultureInfo.InvariantCulture), [float.Parse(f[2], CultureInfo.InvariantCulture), float.Parse(f[3], CultureInfo.InvariantCulture)]));
        }

        AssertMatches(Shared.PredictionFiles.Read(Path.Combine(Fixtures, "interleaved_csv_expected.jsonl")), got, t => t, 1e-5);
    }

    [Fact]
    public void Run_standardizes_a_scaled_models_named_inputs_and_destandardizes_its_outputs()
    {
        // The model trained in PyTorch on standardized data records its feature names, means and stds: a device's raw
        // readings by name are all `run` needs.
        var fixture = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures, "lstm_scaled.json")))!;
        var names = fixture["scaling"]!["feature_names"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray();
        var sequences = fixture["sequences"]!.AsArray();
        var lines = new List<string>();
        var want = new Dictionary<string, List<(long T, float[] Y)>>();
        for (int step = 0; ; step++)
        {
            bool any = false;
            for (int s = 0; s < sequences.Count; s++)
            {
                var x = sequences[s]!["x"]!.AsArray();
                if (step >= x.Count) continue;
                any = true;
                var record = new Dictionary<string, object> { ["seq"] = $"unit-{s}", ["t"] = step };
                for (int j = names.Length - 1; j >= 0; j--) record[names[j]] = x[step]![j]!.GetValue<double>();
                lines.Add(JsonSerializer.Serialize(record));
                if (!want.TryGetValue($"unit-{s}", out var list)) want[$"unit-{s}"] = list = [];
                list.Add((step, [sequences[s]!["y"]![step]![0]!.GetValue<float>()]));
            }

            if (!any) break;
        }

        File.WriteAllLines(PathOf("raw.jsonl"), lines);
        string model = Path.Combine(Fixtures, "lstm_scaled.safetensors");
        Assert.Equal(0, RunCommand.Execute(new RunOptions(model, PathOf("raw.jsonl"), PathOf("out.jsonl")) { Errors = PathOf("errors.jsonl") }, Defaults));
        Assert.Equal("", File.ReadAllText(PathOf("errors.jsonl")));
        // Outputs near 500 (target_std 63): one float32 step there is ~6e-5.
        AssertMatches(want, Shared.PredictionFiles.Read(PathOf("out.jsonl")), t => t, 2e-4);

        Assert.Equal(0, RunCommand.Execute(new RunOptions(model, PathOf("raw.jsonl"), PathOf("raw-out.jsonl")) { Errors = PathOf("errors.jsonl"), Raw = true }, Defaults));
        var unscaled = Shared.PredictionFiles.Read(PathOf("raw-out.jsonl"));
        Assert.True(unscaled["unit-0"].All(r => Math.Abs(r.Y[0]) < 50), "--raw writes the model's own (standardized) outputs, not ~500 kW");
    }

    [Fact]
    public void Run_turns_a_bad_named_record_into_an_error_record_and_loses_nothing_else()
    {
        File.WriteAllLines(PathOf("bad.jsonl"),
        [
            """{"dev": "a", "a": 1, "b": 2, "c": 3, "d": 4}""",
            """{"dev": "a", "a": 1, "b": 2, "c": 3}""",
            """{"dev": "b", "a": 1, "b": "2", "c": 3, "d": 4}""",
            """{"dev": "b", "a": 1, "b": 2, "c": 3, "d": 4, "t": "soon"}""",
            """{"dev": "b", "a": 1, "b": 2, "c": 3, "d": 4}""",
        ]);
        int exit = RunCommand.Execute(new RunOptions(Model, PathOf("bad.jsonl"), PathOf("out.jsonl")) { Errors = PathOf("errors.jsonl"), Features = "a,b,c,d", SequenceField = "dev" }, Defaults);

        Assert.Equal(0, exit);
        var errors = File.ReadAllLines(PathOf("errors.jsonl")).Select(l => JsonNode.Parse(l)!).OrderBy(e => e["position"]!.GetValue<long>()).ToList();
        Assert.Equal([2L, 3L, 4L], errors.Select(e => e["position"]!.GetValue<long>()));
        Assert.Contains("missing field \"d\"", errors[0]["error"]!.GetValue<string>());
        Assert.Contains("\"b\" is a string where a number belongs", errors[1]["error"]!.GetValue<string>());
        Assert.Contains("\"t\" (\"soon\") is not an ISO-8601 time", errors[2]["error"]!.GetValue<string>());
        var outputs = Shared.PredictionFiles.Read(PathOf("out.jsonl"));
        Assert.Single(outputs["a"]);
        Assert.Single(outputs["b"]);
    }

    [Fact]
    public void Run_refuses_features_that_do_not_fit_the_model_with_exit_2()
    {
        File.WriteAllText(PathOf("in.jsonl"), "");
        Assert.Equal(2, RunCommand.Execute(new RunOptions(Model, PathOf("in.jsonl"), PathOf("out.jsonl")) { Features = "a,b" }, Defaults));
        Assert.Equal(2, RunCommand.Execute(new RunOptions(Model, PathOf("in.jsonl"), PathOf("out.jsonl")) { TimeUnit = "fortnights" }, Defaults));
    }
}
