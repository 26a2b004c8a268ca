using Akka.Cluster.Sharding;

namespace LstmStreams.Cluster;

/// <summary>Sharding's view of our messages: a <see cref="RouteObservations"/> names its shard, which is also the
/// entity's id (one entity per shard hosts that shard's sequences on its node).</summary>
internal sealed class ShardRouting : IMessageExtractor
{
    public string? EntityId(object message) => message switch
    {
        RouteObservations route => ShardName(route.Shard),
        _ => null,
    };

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => EntityId(message);

    public string ShardId(string entityId, object? messageHint = null) => entityId;

    public static string ShardName(int shard) => shard.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
