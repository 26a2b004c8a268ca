using System.Diagnostics;
using System.Text.Json;
using LstmStreams.Core.Import;
using LstmStreams.Pipeline;
using LstmStreams.Tests.Persistence;
using LstmStreams.Tests.Shared;
using Xunit.Abstractions;

namespace LstmStreams.Tests.Cluster;

/// <summary>
/// `lstm-streams node` processes on one throw-away PostgreSQL: a node killed with SIGKILL mid-stream (no goodbye),
/// a node with another model file refused.
/// </summary>
public sealed class NodeProcessTests : IClassFixture<PostgresServer>, IDisposable
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch", "lstm_2l_head_sigmoid.safetensors");
    private static readonly string OtherModel = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch", "lstm_1l.safetensors");
    private readonly PostgresServer _server;
    private readonly ITestOutputHelper _output;
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-nodes-").FullName;

    public NodeProcessTests(PostgresServer server, ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_node_killed_mid_stream_loses_nothing_and_applies_nothing_twice()
    {
        string store = "postgres:" + _server.CreateDatabase();
        int[] ports = [FreePorts.Next(), FreePorts.Next(), FreePorts.Next()];
        string seeds = $"--seed 127.0.0.1:{ports[0]} --seed 127.0.0.1:{ports[1]}";
        string common = $"--model \"{Model}\" --store \"{store}\" --min-members 3 {seeds}";
        var lines = InputLines(sequences: 90, steps: 40, seed: 5);
        string output = Path.Combine(_folder, "out.jsonl");
        string errors = Path.Combine(_folder, "errors.jsonl");

        using var ingester = new NodeProcess("ingester", $"{common} --port {ports[0]} --input - --output \"{output}\" --errors \"{errors}\"");
        using var host = new NodeProcess("host", $"{common} --port {ports[1]}");
        using var victim = new NodeProcess("victim", $"{common} --port {ports[2]}");
        try
        {
            foreach (var node in new[] { ingester, host, victim }) node.WaitForStderr("members=3", TimeSpan.FromSeconds(60));

            // A rate-limited stream: ~600 lines a second; the victim is killed a third of the way in.
            double killedAt = 0;
            for (int i = 0; i < lines.Count; i++)
            {
                ingester.Process.StandardInput.WriteLine(lines[i]);
                if (i % 30 == 29)
                {
                    ingester.Process.StandardInput.Flush();
                    Thread.Sleep(50);
                }

                if (i == lines.Count / 3)
                {
                    victim.Process.Kill(entireProcessTree: true); // SIGKILL: no goodbye
                    killedAt = NodeProcess.Now;
                }
            }

            ingester.Process.StandardInput.Close();
            Assert.True(ingester.Process.WaitForExit(120_000), "the ingesting node did not finish:\n" + ingester.Stderr + host.Stderr);
            _output.WriteLine($"victim killed at {killedAt:F1} s; input written by {NodeProcess.Now:F1} s (the clock of the lines below)");
            _output.WriteLine(ingester.Stderr);
            _output.WriteLine(host.Stderr);
            Assert.True(ingester.Process.ExitCode == 0, $"exit code {ingester.Process.ExitCode}:\n{ingester.Stderr}");

            string errorRecords = File.ReadAllText(errors);
            Assert.True(errorRecords.Length == 0, "error records (nothing should be rejected, no duplicate should surface):\n" + errorRecords[..Math.Min(2000, errorRecords.Length)]);
            var reference = Reference(lines);
            var written = ReadPredictions(output);
            Assert.Equal(lines.Count, written.Select(p => (p.Seq, p.T)).Distinct().Count());
            foreach (var p in written) Assert.Equal(reference[(p.Seq, p.T)], p.Y); // every one, re-sent ones included
            // No state advanced twice: the state every sequence ends with is the reference's (a state that applied an
            // observation twice would give other last predictions, and the stored one would differ as well).
            Assert.Contains("unreleased observations sent again", ingester.Stderr);

            host.Terminate();
            Assert.True(host.Process.WaitForExit(60_000), "the hosting node did not leave on SIGTERM:\n" + host.Stderr);
            Assert.Equal(0, host.Process.ExitCode);
        }
        finally
        {
            _output.WriteLine(victim.Stderr);
        }
    }

    [Fact]
    public void A_node_with_another_model_file_is_refused_and_exits_non_zero()
    {
        string store = "postgres:" + _server.CreateDatabase();
        int[] ports = [FreePorts.Next(), FreePorts.Next()];
        using var first = new NodeProcess("first", $"--model \"{Model}\" --store \"{store}\" --port {ports[0]} --seed 127.0.0.1:{ports[0]}");
        first.WaitForStderr("members=1", TimeSpan.FromSeconds(60));
        using var newcomer = new NodeProcess("newcomer", $"--model \"{OtherModel}\" --store \"{store}\" --port {ports[1]} --seed 127.0.0.1:{ports[0]}");
        Assert.True(newcomer.Process.WaitForExit(60_000), "the newcomer was not refused:\n" + newcomer.Stderr);
        Assert.Equal(7, newcomer.Process.ExitCode);
        string hash = LstmStreams.Cluster.ClusterNode.HashFile(Model);
        string otherHash = LstmStreams.Cluster.ClusterNode.HashFile(OtherModel);
        Assert.Contains(hash, newcomer.Stderr);
        Assert.Contains(otherHash, newcomer.Stderr);
        Assert.False(first.Process.HasExited, "the first node should keep running:\n" + first.Stderr);
        first.Terminate();
        Assert.True(first.Process.WaitForExit(60_000));
        Assert.Equal(0, first.Process.ExitCode);
    }

    [Fact]
    public void A_node_on_another_database_is_refused_and_exits_non_zero()
    {
        int[] ports = [FreePorts.Next(), FreePorts.Next()];
        using var first = new NodeProcess("first", $"--model \"{Model}\" --store \"postgres:{_server.CreateDatabase()}\" --port {ports[0]} --seed 127.0.0.1:{ports[0]}");
        first.WaitForStderr("members=1", TimeSpan.FromSeconds(60));
        using var newcomer = new NodeProcess("newcomer", $"--model \"{Model}\" --store \"postgres:{_server.CreateDatabase()}\" --port {ports[1]} --seed 127.0.0.1:{ports[0]}");
        Assert.True(newcomer.Process.WaitForExit(60_000), "the newcomer was not refused:\n" + newcomer.Stderr);
        Assert.Equal(7, newcomer.Process.ExitCode);
        Assert.Contains("uses another store", newcomer.Stderr);
        first.Terminate();
        Assert.True(first.Process.WaitForExit(60_000));
        Assert.Equal(0, first.Process.ExitCode);
    }

    [Fact]
    public void A_store_that_cannot_be_shared_is_refused_for_a_cluster_of_several_nodes()
    {
        var node = new NodeProcess("sqlite", $"--model \"{Model}\" --store sqlite:{Path.Combine(_folder, "x.db")} --port {FreePorts.Next()} --min-members 2");
        using (node)
        {
            Assert.True(node.Process.WaitForExit(60_000));
            Assert.Equal(2, node.Process.ExitCode);
            Assert.Contains("needs one store every node shares", node.Stderr);
        }
    }

    [Fact]
    public void Nodes_ingesting_one_shared_MQTT_subscription_read_each_message_once_and_write_what_a_single_node_writes()
    {
        using var broker = new LstmStreams.Mqtt.Tests.MosquittoBroker();
        string store = "postgres:" + _server.CreateDatabase();
        string config = Path.Combine(_folder, "mqtt.conf");
        File.WriteAllText(config, "lstm-streams.mqtt.sequence-from = payload\n");
        int[] ports = [FreePorts.Next(), FreePorts.Next()];
        string input = $"mqtt://127.0.0.1:{broker.Port}/$share/nodes/fleet/obs";
        string common = $"--model \"{Model}\" --store \"{store}\" --min-members 2 --seed 127.0.0.1:{ports[0]} --input \"{input}\"";
        string[] outputs = [Path.Combine(_folder, "out0.jsonl"), Path.Combine(_folder, "out1.jsonl")];
        using var first = new NodeProcess("first", $"{common} --port {ports[0]} --output \"{outputs[0]}\" --config \"{config}\"");
        using var second = new NodeProcess("second", $"{common} --port {ports[1]} --output \"{outputs[1]}\" --config \"{config}\"");
        foreach (var node in new[] { first, second }) node.WaitForStderr("members=2", TimeSpan.FromSeconds(60));
        Thread.Sleep(1000); // both subscribed

        // One step of every sequence a round, a pause between rounds: a sequence's messages go to either node, so
        // each round is answered before the next (per-sequence order across two ingesters is the broker's, not ours).
        var random = new Random(9);
        var lines = Enumerable.Range(0, 10).SelectMany(step => Enumerable.Range(0, 40)
            .Select(s => JsonSerializer.Serialize(new { seq = $"dev/{s}", x = TestModels.Features(random, 4), t = 1_000 + 10 * step }))).ToList();
        foreach (var round in lines.Chunk(40))
        {
            using var publish = Process.Start(new ProcessStartInfo("mosquitto_pub", $"-h 127.0.0.1 -p {broker.Port} -q 1 -t fleet/obs -l") { RedirectStandardInput = true, UseShellExecute = false })!;
            foreach (string line in round) publish.StandardInput.WriteLine(line);
            publish.StandardInput.Close();
            Assert.True(publish.WaitForExit(30_000));
            Thread.Sleep(800);
        }

        var deadline = Stopwatch.StartNew();
        while (outputs.Sum(o => File.Exists(o) ? File.ReadAllLines(o).Length : 0) < lines.Count && deadline.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(200);
        Thread.Sleep(2000); // a checkpoint: the inputs are acknowledged; nothing more arrives
        first.Terminate();
        second.Terminate();
        Assert.True(first.Process.WaitForExit(60_000) && second.Process.WaitForExit(60_000), "the nodes did not stop on SIGTERM:\n" + first.Stderr + second.Stderr);
        _output.WriteLine(first.Stderr);
        _output.WriteLine(second.Stderr);
        Assert.Equal(0, first.Process.ExitCode);
        Assert.Equal(0, second.Process.ExitCode);

        var written = outputs.SelectMany(ReadPredictions).ToList();
        Assert.True(ReadPredictions(outputs[0]).Count > 0 && ReadPredictions(outputs[1]).Count > 0, "the shared subscription should give each node messages");
        Assert.Equal(lines.Count, written.Count); // each message read once
        var reference = Reference(lines);
        foreach (var p in written) Assert.Equal(reference[(p.Seq, p.T)], p.Y);
    }

    private static List<string> InputLines(int sequences, int steps, int seed)
    {
        var random = new Random(seed);
        var next = new int[sequences];
        var tickets = Enumerable.Range(0, sequences).SelectMany(s => Enumerable.Repeat(s, steps)).OrderBy(_ => random.Next()).ToList();
        return tickets.Select(s => JsonSerializer.Serialize(new { seq = $"dev/{s}", x = TestModels.Features(random, 4), t = 1_000 + 10 * next[s]++ })).ToList();
    }

    /// <summary>The single-node run of the same lines (the engine in this process, no store).</summary>
    private static Dictionary<(string, long), float[]> Reference(List<string> lines)
    {
        var observations = lines.Select((line, i) =>
        {
            var e = JsonDocument.Parse(line).RootElement;
            return new Observation(e.GetProperty("seq").GetString()!, e.GetProperty("x").EnumerateArray().Select(v => v.GetSingle()).ToArray(), e.GetProperty("t").GetInt64(), position: i + 1);
        });
        return ClusterFixture.SingleNode(ModelLoader.Load(Model), observations);
    }

    private static List<(string Seq, long T, float[] Y)> ReadPredictions(string path) =>
        File.ReadAllLines(path).Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => (e.GetProperty("seq").GetString()!, e.GetProperty("t").GetInt64(), e.GetProperty("y").EnumerateArray().Select(v => v.GetSingle()).ToArray()))
            .ToList();
}
