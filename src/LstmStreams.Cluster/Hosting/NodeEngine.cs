using System.Threading.Channels;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Core.Model;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Cluster.Hosting;

/// <summary>
/// A node's own engine: one materialization of <see cref="LstmStream.CreateGrouped"/> (one compute stage, one sequence
/// region, one keeper) that steps every sequence this node hosts, whichever shard it belongs to, so they batch
/// together. Shard entities write groups into it; its answers go to the <see cref="NodeHost"/>, which also stands
/// in front of its keeper. What enters is bounded by the ingesters (each keeps at most max-unreleased observations
/// unreleased), so the channel in front needs no bound of its own.
/// </summary>
internal sealed class NodeEngine
{
    private readonly ChannelWriter<IReadOnlyList<Observation>> _writer;

    private NodeEngine(ChannelWriter<IReadOnlyList<Observation>> writer, IActorRef host, PipelineMetrics metrics, Task completion)
    {
        _writer = writer;
        Host = host;
        Metrics = metrics;
        Completion = completion;
    }

    /// <summary>The node's host actor.</summary>
    public IActorRef Host { get; }

    /// <summary>The engine's metrics (live sequences: the sequences this node hosts now).</summary>
    public PipelineMetrics Metrics { get; }

    /// <summary>Completes once the engine has stopped, every state written.</summary>
    public Task Completion { get; }

    public static NodeEngine Start(ActorSystem system, RecurrentModel model, StreamingSettings settings, IActorRef host)
    {
        var channel = Channel.CreateUnbounded<IReadOnlyList<Observation>>(new UnboundedChannelOptions { SingleReader = true });
        var hosting = new SequenceHosting
        {
            SnapshotGate = keeper =>
            {
                host.Tell(new UseKeeper(keeper));
                return host;
            },
            RegionStarted = region => host.Tell(new UseRegion(region)),
        };
        var flow = LstmStream.CreateGrouped(system, model, settings, error => host.Tell(new EngineError(error)), hosting: hosting);
        var (metrics, done) = ChannelSource.FromReader(channel.Reader)
            .ViaMaterialized(flow, Keep.Right)
            .ToMaterialized(Sink.ForEach<IReadOnlyList<Prediction>>(batch => host.Tell(new EngineBatch(batch))), Keep.Both)
            .Run(system.Materializer());
        return new NodeEngine(channel.Writer, host, metrics, done);
    }

    /// <summary>Hands a group to the engine (any thread).</summary>
    public void Submit(IReadOnlyList<Observation> group)
    {
        if (!_writer.TryWrite(group)) throw new InvalidOperationException("the node's engine has stopped.");
    }

    /// <summary>No more groups: the engine completes once every one is answered and every state written.</summary>
    public void Complete() => _writer.TryComplete();
}
