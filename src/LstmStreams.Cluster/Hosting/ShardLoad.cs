namespace LstmStreams.Cluster.Hosting;

/// <summary>Observations of each shard inside the node's engine and not yet answered: a shard's entity hands its
/// sequences over only once its count is 0. Incremented by the entity, decremented by the <see cref="NodeHost"/>.</summary>
internal sealed class ShardLoad(int shards)
{
    private readonly long[] _unanswered = new long[shards];

    public void Add(int shard, int count) => Interlocked.Add(ref _unanswered[shard], count);

    public void Answered(int shard) => Interlocked.Decrement(ref _unanswered[shard]);

    public long Of(int shard) => Volatile.Read(ref _unanswered[shard]);
}
