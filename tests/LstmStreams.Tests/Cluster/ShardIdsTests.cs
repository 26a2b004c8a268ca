using LstmStreams.Cluster;

namespace LstmStreams.Tests.Cluster;

public sealed class ShardIdsTests
{
    [Fact]
    public void Shard_of_an_id_is_the_same_in_every_process()
    {
        // FNV-1a 32 over UTF-16 code units: fixed values, not string.GetHashCode (randomized per process).
        Assert.Equal(2166136261u % 30, (uint)ShardIds.Of("", 30));
        Assert.Equal((int)(unchecked((2166136261u ^ (uint)'s') * 16777619u) % 30u), ShardIds.Of("s", 30));
        Assert.All(Enumerable.Range(0, 1000), i => Assert.InRange(ShardIds.Of($"sensor/{i}", 30), 0, 29));
    }
}
