using System.Security.Cryptography;
using System.Text;
using Akka;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Cluster.Hosting;
using LstmStreams.Cluster.Ingest;
using LstmStreams.Core.Model;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Cluster;

/// <summary>
/// One member of a LstmStreams cluster: an ActorSystem on Akka.Cluster, a shard region of sequences
/// (Akka.Cluster.Sharding), the node's own engine that steps the sequences of the shards it hosts, and, when asked to
/// ingest, an ingester that routes a source's observations to their shards and writes the answers.
/// </summary>
public sealed class ClusterNode
{
    private const string SystemName = "lstm-streams";
    private const string ModelRolePrefix = "model-";
    private const string StoreRolePrefix = "store-";
    private readonly NodeEngine _engine;
    private readonly IActorRef _region;
    private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _refused = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ClusterNode(ActorSystem system, ClusterSettings settings, NodeEngine engine, IActorRef region)
    {
        System = system;
        Settings = settings;
        _engine = engine;
        _region = region;
    }

    /// <summary>The node's actor system.</summary>
    public ActorSystem System { get; }

    /// <summary>The cluster settings the node runs with.</summary>
    public ClusterSettings Settings { get; }

    /// <summary>Completes when this node is up in a cluster of at least min-members.</summary>
    public Task Up => _up.Task;

    /// <summary>Completes, with the reason, if this node must not work with the cluster it joined (another model, another
    /// store, a store that cannot be shared); the node has left by then.</summary>
    public Task<string> Refused => _refused.Task;

    /// <summary>Completes when the node has stopped (left, downed, or shut down).</summary>
    public Task Terminated => System.WhenTerminated;

    /// <summary>Members up now.</summary>
    public int Members => Akka.Cluster.Cluster.Get(System).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up);

    /// <summary>Sequences live on this node now (of the shards it hosts).</summary>
    public int HostedSequences => _engine.Metrics.LiveSequences;

    /// <summary>The node's engine metrics.</summary>
    public PipelineMetrics EngineMetrics => _engine.Metrics;

    /// <summary>This node's address (host:port).</summary>
    public string Address => Akka.Cluster.Cluster.Get(System).SelfAddress is var self ? $"{self.Host}:{self.Port}" : "";

    /// <summary>
    /// Starts a member. <paramref name="settings"/> must name a store every node shares (PostgreSQL) unless the cluster
    /// is this node alone; the store's id filter is turned off (other nodes write the same ids) and live states are
    /// snapshotted every checkpoint interval (release lags snapshot by at most that).
    /// </summary>
    /// <param name="options">Address, seeds, min-members, model hash and store identity.</param>
    /// <param name="model">The model this node steps.</param>
    /// <param name="settings">The engine's settings.</param>
    /// <param name="config">Extra HOCON (a --config file): its <c>akka</c> and <c>lstm-streams.cluster</c> keys win.</param>
    public static ClusterNode Start(ClusterNodeOptions options, RecurrentModel model, StreamingSettings settings, Config? config = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        config ??= Config.Empty;
        var clusterSettings = ClusterSettings.From(config);
        var system = ActorSystem.Create(SystemName, NodeConfig(options).WithFallback(config).WithFallback(ClusterSettings.ReferenceConfig));
        try
        {
            var persistence = settings.Persistence with
            {
                IdFilter = false,
                SnapshotInterval = settings.Persistence.SnapshotInterval > TimeSpan.Zero && settings.Persistence.SnapshotInterval < clusterSettings.CheckpointInterval
                    ? settings.Persistence.SnapshotInterval
                    : clusterSettings.CheckpointInterval,
            };
            var slots = new IngesterSlots();
            var load = new ShardLoad(clusterSettings.NumberOfShards);
            var host = system.ActorOf(NodeHost.Props(slots, load, clusterSettings.NumberOfShards, clusterSettings.CheckpointInterval), "lstm-host");
            var engine = NodeEngine.Start(system, model, settings with { Persistence = persistence }, host);
            var services = new NodeServices(engine, slots, load);
            var extension = ClusterSharding.Get(system); // loads sharding's defaults beneath the config first
            var sharding = ClusterShardingSettings.Create(system).WithRole(ModelRole(options.ModelHash));
            var region = extension.Start("sequences", entityId => SequenceShard.Props(entityId, services), sharding,
                new ShardRouting(), extension.DefaultShardAllocationStrategy(sharding), HandOffShard.Instance);
            var node = new ClusterNode(system, clusterSettings, engine, region);
            system.ActorOf(MemberGuard.Props(options, reason => node.Refuse(reason)), "lstm-member-guard");
            Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => node._up.TrySetResult());
            return node;
        }
        catch
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
            throw;
        }
    }

    /// <summary>
    /// Reads <paramref name="source"/> into the cluster once this node is up, and writes every answer through
    /// <paramref name="output"/>; completes when the source has ended and every observation is answered and released
    /// (a durable snapshot includes it).
    /// </summary>
    public async Task<IngestSummary> Ingest(Source<IReadOnlyList<Observation>, NotUsed> source, IngestOutput output, IngestProgress? progress = null,
        CancellationToken cancellation = default)
    {
        await Up.WaitAsync(cancellation).ConfigureAwait(false);
        var done = new TaskCompletionSource<IngestSummary>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ingester = System.ActorOf(Ingester.Props(_region, Settings.NumberOfShards, Settings.MaxUnreleased, output, progress ?? new IngestProgress(), done)
            .WithDispatcher("akka.actor.default-dispatcher"));
        source.RunWith(Sink.ActorRefWithAck<IReadOnlyList<Observation>>(ingester, StreamStarted.Instance, GroupTaken.Instance, StreamEnded.Instance,
            cause => new StreamFailed(cause)), System.Materializer());
        return await done.Task.WaitAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>Leaves gracefully: every shard this node hosts is handed over (its sequences written first), then the
    /// system terminates.</summary>
    public Task LeaveAsync() => CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);

    /// <summary>SHA-256 (hex) of a file: a node's model identity.</summary>
    public static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>A short, secret-free identity of a store description (its SHA-256, hex).</summary>
    public static string HashText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    internal static string ModelRole(string modelHash) => ModelRolePrefix + modelHash;

    internal static string StoreRole(string? store) => StoreRolePrefix + (store is null ? "unshared" : HashText(store)[..16]);

    private void Refuse(string reason)
    {
        if (!_refused.TrySetResult(reason)) return;
        _ = LeaveAsync();
    }

    private static Config NodeConfig(ClusterNodeOptions options)
    {
        var seeds = (options.Seeds.Count == 0 ? [$"{options.Host}:{options.Port}"] : options.Seeds)
            .Select(seed => $"\"akka.tcp://{SystemName}@{seed}\"");
        var roles = new[] { ModelRole(options.ModelHash), StoreRole(options.SharedStore) }.Select(r => $"\"{r}\"");
        return ConfigurationFactory.ParseString($$"""
            akka.remote.dot-netty.tcp.hostname = "{{options.Host}}"
            akka.remote.dot-netty.tcp.port = {{options.Port}}
            akka.cluster.seed-nodes = [{{string.Join(", ", seeds)}}]
            akka.cluster.roles = [{{string.Join(", ", roles)}}]
            akka.cluster.min-nr-of-members = {{options.MinMembers}}
            """);
    }
}
