namespace LstmStreams.Cluster;

/// <summary>
/// The shard of a sequence: a stable hash of its id (FNV-1a over its UTF-16 code units, the same in every process
/// and on every machine, unlike <see cref="string.GetHashCode()"/>) modulo the number of shards.
/// </summary>
public static class ShardIds
{
    /// <summary>The shard, in [0, <paramref name="shards"/>).</summary>
    public static int Of(string sequenceId, int shards)
    {
        uint hash = 2166136261;
        foreach (char c in sequenceId)
        {
            hash = (hash ^ c) * 16777619;
        }

        return (int)(hash % (uint)shards);
    }
}
