using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Cluster;
using LstmStreams.Cluster.Ingest;
using LstmStreams.Core.Model;
using LstmStreams.Persistence;
using LstmStreams.Pipeline;
using LstmStreams.Settings;
using LstmStreams.Tests.Shared;

namespace LstmStreams.Tests.Cluster;

/// <summary>Nodes (separate ActorSystems in this process), workloads and the single-node reference the cluster
/// tests compare against.</summary>
internal static class ClusterFixture
{
    public const string ModelHash = "0000000000000000000000000000000000000000000000000000000000000001";

    public static StreamingSettings Settings(string connection) => StreamingSettings.Default with
    {
        Persistence = StreamingSettings.Default.Persistence with { Store = StoreLocation.Parse("postgres:" + connection) },
    };

    public static List<ClusterNode> StartNodes(int count, RecurrentModel model, StreamingSettings settings, int minMembers, string modelHash = ModelHash)
    {
        var ports = Enumerable.Range(0, count).Select(_ => FreePorts.Next()).ToArray();
        return ports.Select(port => StartNode(port, ports[0], model, settings, minMembers, modelHash)).ToList();
    }

    public static ClusterNode StartNode(int port, int seedPort, RecurrentModel model, StreamingSettings settings, int minMembers, string modelHash = ModelHash) =>
        ClusterNode.Start(new ClusterNodeOptions
        {
            Port = port,
            Seeds = [$"127.0.0.1:{seedPort}"],
            MinMembers = minMembers,
            ModelHash = modelHash,
            SharedStore = "postgres test",
        }, model, settings, Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING"));

    /// <summary>Interleaved observations of <paramref name="sequences"/> sequences, <paramref name="steps"/> each, t explicit
    /// (1, 2, …) when <paramref name="explicitT"/>, positions 1, 2, … in stream order.</summary>
    public static List<Observation> Workload(int sequences, int steps, int inputs, int seed, string prefix = "s", bool explicitT = true)
    {
        var random = new Random(seed);
        var next = new int[sequences];
        var observations = new List<Observation>();
        int remaining = sequences * steps;
        while (remaining > 0)
        {
            int s = random.Next(sequences);
            if (next[s] == steps) continue;
            next[s]++;
            remaining--;
            observations.Add(new Observation($"{prefix}{s}", TestModels.Features(random, inputs), explicitT ? next[s] : null, position: observations.Count + 1));
        }

        return observations;
    }

    /// <summary>The single-node run of the same observations (engine alone, no store): prediction per (sequence, t).</summary>
    public static Dictionary<(string, long), float[]> SingleNode(RecurrentModel model, IEnumerable<Observation> observations)
    {
        using var system = ActorSystem.Create("reference", "akka.loglevel = WARNING");
        var flow = LstmStream.Create(system, model, StreamingSettings.Default);
        var predictions = Source.From(observations).Via(flow).RunWith(Sink.Seq<Prediction>(), system.Materializer()).Result;
        return predictions.ToDictionary(p => (p.SequenceId, p.T), p => p.Y);
    }

    /// <summary>Ingests <paramref name="observations"/> through <paramref name="node"/> in groups of <paramref name="group"/>.</summary>
    public static Task<IngestSummary> Ingest(ClusterNode node, IReadOnlyList<Observation> observations, List<Prediction> predictions, List<ObservationError> errors,
        int group = 64, TimeSpan? pause = null, IngestProgress? progress = null)
    {
        var groups = observations.Chunk(group).Select(chunk => (IReadOnlyList<Observation>)chunk);
        var source = Source.From(groups);
        if (pause is { } p) source = source.Throttle(1, p, 1, ThrottleMode.Shaping);
        var output = new IngestOutput(batch => { lock (predictions) predictions.AddRange(batch); }, error => { lock (errors) errors.Add(error); });
        return node.Ingest(source, output, progress);
    }

    public static async Task StopAll(IEnumerable<ClusterNode> nodes)
    {
        foreach (var node in nodes)
        {
            await node.System.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Asserts every reference prediction was written, equal, and nothing else.</summary>
    public static void AssertEqual(Dictionary<(string, long), float[]> reference, IReadOnlyCollection<Prediction> predictions)
    {
        var byKey = new Dictionary<(string, long), float[]>();
        foreach (var p in predictions)
        {
            if (byKey.TryGetValue((p.SequenceId, p.T), out var seen))
                Assert.Equal(seen, p.Y); // written twice (allowed after a failure): equal
            byKey[(p.SequenceId, p.T)] = p.Y;
        }

        Assert.Equal(reference.Count, byKey.Count);
        foreach (var (key, y) in reference)
        {
            Assert.True(byKey.TryGetValue(key, out var got), $"no prediction for {key}");
            for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - got![i]) <= 1e-6f, $"{key}[{i}]: {got[i]} != {y[i]}");
        }
    }
}
