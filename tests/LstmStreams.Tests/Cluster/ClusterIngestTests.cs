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
}
