namespace LstmStreams.Cluster.Hosting;

/// <summary>What a node's shard entities share: the engine, its host, the ingester slots and the shard loads.</summary>
internal sealed class NodeServices(NodeEngine engine, IngesterSlots slots, ShardLoad load)
{
    public NodeEngine Engine { get; } = engine;

    public IngesterSlots Slots { get; } = slots;

    public ShardLoad Load { get; } = load;

    public Akka.Actor.IActorRef Host => Engine.Host;
}
