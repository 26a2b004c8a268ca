using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using static Akka.Cluster.ClusterEvent;

namespace LstmStreams.Cluster;

/// <summary>
/// Refuses to work beside a member that runs another model file (its SHA-256 differs) or another store, or beside
/// any member when this node's store cannot be shared (SQLite, memory, none): each node carries both identities as
/// roles. Of two such members the younger (the one that joined later) refuses: it logs why, names both hashes, and
/// leaves; the older one keeps running (sharding places shards only on members with its model's role).
/// </summary>
internal sealed class MemberGuard : UntypedActor
{
    private readonly ClusterNodeOptions _options;
    private readonly Action<string> _refuse;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private bool _refused;

    public MemberGuard(ClusterNodeOptions options, Action<string> refuse)
    {
        _options = options;
        _refuse = refuse;
    }

    public static Props Props(ClusterNodeOptions options, Action<string> refuse) => Akka.Actor.Props.Create(() => new MemberGuard(options, refuse));

    protected override void PreStart() => _cluster.Subscribe(Self, InitialStateAsEvents, typeof(IMemberEvent));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    protected override void OnReceive(object message)
    {
        if (message is not IMemberEvent { Member: var member } || _refused || member.Address == _cluster.SelfAddress) return;
        if (member.Status is MemberStatus.Removed or MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving) return;
        if (Conflict(member) is not { } reason) return;
        var self = _cluster.SelfMember;
        if (!member.IsOlderThan(self) && self.Status == MemberStatus.Up)
        {
            Context.GetLogger().Warning("member {0} may not work with this cluster: {1} (it leaves)", member.Address, reason);
            return;
        }

        _refused = true;
        Context.GetLogger().Error("this node refuses to work with the cluster: {0}", reason);
        _refuse(reason);
    }

    private string? Conflict(Member member)
    {
        string mine = ClusterNode.ModelRole(_options.ModelHash);
        string? theirs = member.Roles.FirstOrDefault(r => r.StartsWith("model-", StringComparison.Ordinal));
        if (theirs is not null && theirs != mine)
        {
            return $"this node's model file ({_options.ModelName}) has SHA-256 {_options.ModelHash}, but member {member.Address.HostPort()} runs a model " +
                   $"file with SHA-256 {theirs["model-".Length..]}. Every node must load the same model file: copy it to every machine and start the nodes with it.";
        }

        if (_options.SharedStore is null)
        {
            return $"its store cannot be shared, and member {member.Address.HostPort()} is in the cluster. A cluster of more than one node needs one " +
                   "store every node reaches (--store postgres:…): a node's SQLite file, memory or none would lose every sequence that moves between nodes.";
        }

        string myStore = ClusterNode.StoreRole(_options.SharedStore);
        string? theirStore = member.Roles.FirstOrDefault(r => r.StartsWith("store-", StringComparison.Ordinal));
        if (theirStore is not null && theirStore != myStore)
        {
            return theirStore == ClusterNode.StoreRole(null)
                ? $"member {member.Address.HostPort()} runs on a store that cannot be shared (SQLite, memory or none); every node needs the same --store postgres:…."
                : $"member {member.Address.HostPort()} uses another store (identity {theirStore["store-".Length..]}, this node's {myStore["store-".Length..]}: " +
                  $"{_options.SharedStore}). Every node must use the same PostgreSQL database.";
        }

        return null;
    }
}
