using Akka.Actor;
using LstmStreams.Pipeline;

namespace LstmStreams.Cluster.Hosting;

/// <summary>
/// The sharded entity: one shard's sequences on the node that hosts the shard (entity id = shard id). It does not
/// step them itself: it hands the observations routed to it to the node's engine, where they batch with every other
/// sequence of the node, and remembers which sequences it brought. When sharding hands the shard to another node
/// (rebalance, this node leaving), its stop message makes it wait until every observation it handed over is
/// answered, then the host passivates its sequences and flushes their states to the store; only then does it stop,
/// so the next node restores exactly what this one applied. Each message it takes is acknowledged to its ingester
/// (<see cref="RouteReceived"/>), which sends a shard one message at a time; once handing over, it refuses them.
/// </summary>
internal sealed class SequenceShard : UntypedActor, IWithTimers
{
    private const string DrainTimer = "drain";
    private readonly int _shard;
    private readonly NodeServices _node;
    private readonly HashSet<string> _sequences = new(StringComparer.Ordinal);
    private bool _handingOff;

    public SequenceShard(int shard, NodeServices node)
    {
        _shard = shard;
        _node = node;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string entityId, NodeServices node) =>
        Akka.Actor.Props.Create(() => new SequenceShard(int.Parse(entityId, System.Globalization.CultureInfo.InvariantCulture), node));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case RouteObservations route when _handingOff:
                // Handing over: nothing new enters this node's engine; the ingester sends it again to the next home.
                route.Ingester.Tell(new RouteReceived(_shard, route.Number, Accepted: false), Self);
                break;
            case RouteObservations route:
                Submit(route);
                route.Ingester.Tell(new RouteReceived(_shard, route.Number, Accepted: true), Self);
                break;
            case HandOffShard when !_handingOff:
                _handingOff = true;
                Timers.StartPeriodicTimer(DrainTimer, Drain.Instance, TimeSpan.FromMilliseconds(20));
                break;
            case Drain when _node.Load.Of(_shard) == 0:
                Timers.Cancel(DrainTimer);
                _node.Host.Tell(new HandOffSequences(_shard, _sequences.ToArray()), Self);
                break;
            case SequencesHandedOff:
                Context.Stop(Self);
                break;
            case HandOffShard or Drain:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Submit(RouteObservations route)
    {
        int slot = _node.Slots.SlotOf(route.Ingester);
        var group = new Observation[route.Observations.Length];
        for (int i = 0; i < group.Length; i++)
        {
            var o = route.Observations[i];
            _sequences.Add(o.SequenceId);
            group[i] = new Observation(o.SequenceId, o.Features, o.T, o.Reset, o.End, IngesterSlots.Compose(slot, o.Position));
        }

        _node.Load.Add(_shard, group.Length);
        _node.Engine.Submit(group);
    }

    private sealed class Drain
    {
        public static Drain Instance { get; } = new();

        private Drain()
        {
        }
    }
}
