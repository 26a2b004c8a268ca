using LstmStreams.Pipeline;
using LstmStreams.Tests.Persistence;

namespace LstmStreams.Tests.Cluster;

/// <summary>Three nodes (ActorSystems in this process) on Akka.Cluster.Sharding with a throw-away PostgreSQL.</summary>
public sealed class ClusterIngestTests : IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;

    public ClusterIngestTests(PostgresServer server) => _server = server;

    [Fact]
    public async Task Three_nodes_ingesting_interleaved_sequences_write_what_a_single_node_writes()
    {
        var model = TestModels.Random(input: 4, hidden: 8, layers: 2, output: 2, seed: 3);
        var settings = ClusterFixture.Settings(_server.CreateDatabase());
        var nodes = ClusterFixture.StartNodes(3, model, settings, minMembers: 3);
        try
        {
            // Each node ingests its own third of the sequences; the shards spread them over all three.
            var parts = Enumerable.Range(0, 3).Select(i => ClusterFixture.Workload(sequences: 60, steps: 25, inputs: 4, seed: 10 + i, prefix: $"n{i}-")).ToArray();
            var predictions = new List<Prediction>();
            var errors = new List<ObservationError>();
            var summaries = await Task.WhenAll(nodes.Select((node, i) => ClusterFixture.Ingest(node, parts[i], predictions, errors)))
                .WaitAsync(TimeSpan.FromSeconds(120));

            Assert.Empty(errors);
            Assert.All(summaries, s => Assert.Equal(1500, s.Observations));
            Assert.All(nodes, n => Assert.Equal(3, n.Members));
            ClusterFixture.AssertEqual(ClusterFixture.SingleNode(model, parts.SelectMany(p => p)), predictions);
            Assert.True(nodes.Count(n => n.EngineMetrics.Admitted > 0) >= 2, "the shards should be spread over the nodes");
        }
        finally
        {
            await ClusterFixture.StopAll(nodes);
        }
    }

    [Fact]
    public async Task A_node_joining_and_a_node_leaving_mid_stream_hand_their_sequences_over_with_their_state()
    {
        var model = TestModels.Random(input: 4, hidden: 8, layers: 2, output: 2, seed: 4);
        var settings = ClusterFixture.Settings(_server.CreateDatabase());
        var nodes = ClusterFixture.StartNodes(2, model, settings, minMembers: 2);
        try
        {
            var observations = ClusterFixture.Workload(sequences: 80, steps: 60, inputs: 4, seed: 7);
            var predictions = new List<Prediction>();
            var errors = new List<ObservationError>();
            // 4,800 observations in groups of 40, one group every 50 ms: about 6 s of stream.
            var ingest = ClusterFixture.Ingest(nodes[0], observations, predictions, errors, group: 40, pause: TimeSpan.FromMilliseconds(50));
            await nodes[0].Up.WaitAsync(TimeSpan.FromSeconds(60));
            await Task.Delay(1500);

            // A third node joins: shards rebalance to it (each handed over with its sequences' states).
            var joiner = ClusterFixture.StartNode(Shared.FreePorts.Next(), int.Parse(nodes[0].Address.Split(':')[^1]), model, settings, minMembers: 1);
            nodes.Add(joiner);
            await WaitUntil(() => joiner.EngineMetrics.Admitted > 0, TimeSpan.FromSeconds(30), "the joining node to host sequences");

            // A hosting node leaves gracefully while the stream goes on: its shards move with their states.
            var leaver = nodes[1].EngineMetrics.Emitted > 0 ? nodes[1] : joiner;
            long steppedBeforeLeave = leaver.EngineMetrics.Emitted;
            await leaver.LeaveAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var summary = await ingest.WaitAsync(TimeSpan.FromSeconds(120));

            Assert.Empty(errors);
            Assert.Equal(observations.Count, summary.Observations);
            Assert.True(steppedBeforeLeave > 0, "the leaving node should have hosted sequences");
            ClusterFixture.AssertEqual(ClusterFixture.SingleNode(model, observations), predictions);
        }
        finally
        {
            await ClusterFixture.StopAll(nodes);
        }
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
