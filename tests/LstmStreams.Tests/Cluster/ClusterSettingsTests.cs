using Akka.Configuration;
using LstmStreams.Cluster;

namespace LstmStreams.Tests.Cluster;

public sealed class ClusterSettingsTests
{
    [Fact]
    public void The_reference_gives_the_documented_defaults()
    {
        var settings = ClusterSettings.From(Config.Empty);
        Assert.Equal(new ClusterSettings(), settings);
        Assert.Equal((30, 1_048_576, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)),
            (settings.NumberOfShards, settings.MaxUnreleased, settings.CheckpointInterval, settings.StatusInterval));
    }

    [Theory]
    [InlineData("lstm-streams.cluster.number-of-shards = 0", "number-of-shards")]
    [InlineData("lstm-streams.cluster.max-unreleased = 0", "max-unreleased")]
    [InlineData("lstm-streams.cluster.checkpoint-interval = 0s", "checkpoint-interval")]
    [InlineData("lstm-streams.cluster.status-interval = 0s", "status-interval")]
    public void A_value_out_of_range_is_refused_naming_its_key(string hocon, string key)
    {
        var error = Assert.Throws<ArgumentException>(() => ClusterSettings.From(ConfigurationFactory.ParseString(hocon)));
        Assert.Contains("lstm-streams.cluster." + key, error.Message);
    }

    [Fact]
    public void The_node_config_carries_the_split_brain_resolver_and_ddata_sharding()
    {
        var reference = ClusterSettings.ReferenceConfig;
        Assert.Equal("keep-majority", reference.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal("ddata", reference.GetString("akka.cluster.sharding.state-store-mode"));
        Assert.Equal("cluster", reference.GetString("akka.actor.provider"));
    }
}
