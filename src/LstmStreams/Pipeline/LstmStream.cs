using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Compute;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;
using LstmStreams.Settings;

namespace LstmStreams.Pipeline;

/// <summary>
/// The public entry point: a reusable <see cref="Flow{TIn,TOut,TMat}"/> from observations of many
/// interleaved sequences to their predictions, to drop into any Akka.Streams graph.
/// </summary>
/// <example>
/// <code>
/// var flow = LstmStream.Create(system, model, StreamingSettings.Default, error => log(error));
/// source.ViaMaterialized(flow, Keep.Right).To(sink).Run(materializer);
/// </code>
/// </example>
public static class LstmStream
{
    /// <summary>
    /// Builds the flow. Each materialization gets its own sequence region (actors under
    /// <paramref name="system"/>), kernel and metrics (the materialized value).
    /// </summary>
    /// <param name="system">Hosts the sequence actors and the compute dispatcher.</param>
    /// <param name="model">The model every sequence runs.</param>
    /// <param name="settings">Runtime settings; null for the defaults.</param>
    /// <param name="onError">Receives one error record per rejected observation (called on the compute
    /// stage's thread: keep it quick); null to drop them after counting.</param>
    /// <param name="kernelFactory">Overrides how the kernel is made; null uses <see cref="StreamingSettings.Kernel"/>.</param>
    public static Flow<Observation, Prediction, PipelineMetrics> Create(ActorSystem system, RecurrentModel model, StreamingSettings? settings = null,
        Action<ObservationError>? onError = null, Func<RecurrentModel, int, IStepKernel>? kernelFactory = null)
    {
        var groups = new ObservationGroups();
        var (stage, group) = ComputeFlow(system, model, settings, onError, kernelFactory, groups);
        // Upstream of the stage, Akka's Batch groups whatever arrives while the stage is busy (no timer: a group
        // of one goes at once when the stage is idle), so one cross-thread message carries many observations.
        // The stage's input buffer holds two groups: at most max-in-flight + 2 groups sit inside the flow.
        // The stage hands over whole batches (one cross-thread message per batch); they are flattened on the
        // downstream side with an input buffer of one batch, so little waits outside max-in-flight.
        return Flow.Create<Observation>()
            .Batch(group, o =>
            {
                var list = groups.Rent();
                list.Add(o);
                return list;
            }, (list, o) =>
            {
                list.Add(o);
                return list;
            })
            .Select(list => (IReadOnlyList<Observation>)list)
            .ViaMaterialized(stage, Keep.Right)
            .Via(Flow.Create<IReadOnlyList<Prediction>>().SelectMany(batch => batch).WithAttributes(Attributes.CreateInputBuffer(1, 1)));
    }

    /// <summary>
    /// The same flow for a source that already holds its observations in groups (a file reader hands over
    /// the lines of one read): groups in, one element per kernel batch out, with no element per observation
    /// on either side. Predictions keep each sequence's order, as with <see cref="Create"/>. A group larger
    /// than <see cref="MaxGroupSize"/> is split; the lists are read, never kept or changed.
    /// </summary>
    /// <param name="system">Hosts the sequence actors and the compute dispatcher.</param>
    /// <param name="model">The model every sequence runs.</param>
    /// <param name="settings">Runtime settings; null for the defaults.</param>
    /// <param name="onError">Receives one error record per rejected observation (on the compute stage's thread).</param>
    /// <param name="kernelFactory">Overrides how the kernel is made; null uses <see cref="StreamingSettings.Kernel"/>.</param>
    /// <param name="hosting">Set by a cluster host (LstmStreams.Cluster) only; null otherwise.</param>
    public static Flow<IReadOnlyList<Observation>, IReadOnlyList<Prediction>, PipelineMetrics> CreateGrouped(ActorSystem system, RecurrentModel model,
        StreamingSettings? settings = null, Action<ObservationError>? onError = null, Func<RecurrentModel, int, IStepKernel>? kernelFactory = null,
        SequenceHosting? hosting = null)
    {
        var (stage, group) = ComputeFlow(system, model, settings, onError, kernelFactory, groups: null, hosting);
        return Flow.Create<IReadOnlyList<Observation>>()
            .SelectMany(observations => observations.Count <= group ? [observations] : Split(observations, group))
            .ViaMaterialized(stage, Keep.Right);
    }

    /// <summary>The most observations the compute stage admits as one group under <paramref name="settings"/>
    /// (it pulls a group only while a whole one fits within max-in-flight).</summary>
    public static int MaxGroupSize(StreamingSettings settings) => ComputeStage.MaxGroup(settings);

    private static IEnumerable<IReadOnlyList<Observation>> Split(IReadOnlyList<Observation> observations, int size)
    {
        for (int start = 0; start < observations.Count; start += size)
        {
            var part = new Observation[Math.Min(size, observations.Count - start)];
            for (int i = 0; i < part.Length; i++) part[i] = observations[start + i];
            yield return part;
        }
    }

    private static (Flow<IReadOnlyList<Observation>, IReadOnlyList<Prediction>, PipelineMetrics> Stage, int Group) ComputeFlow(ActorSystem system,
        RecurrentModel model, StreamingSettings? settings, Action<ObservationError>? onError, Func<RecurrentModel, int, IStepKernel>? kernelFactory,
        ObservationGroups? groups, SequenceHosting? hosting = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(model);
        settings ??= StreamingSettings.Default;
        settings.Validate();
        kernelFactory ??= (m, batch) => StepKernels.Create(m, settings.Kernel, batch, settings.KernelThreads);
        EnsureReferenceConfig(system);
        foreach (var (key, id) in new[] { ("region-dispatcher", settings.RegionDispatcher), ("sequence-dispatcher", settings.SequenceDispatcher) })
        {
            if (!system.Dispatchers.HasDispatcher(id))
                throw new ArgumentException($"lstm-streams.{key} = \"{id}\" is not a dispatcher configured in this actor system.", nameof(settings));
        }

        var stage = new ComputeStage(model, settings, kernelFactory, onError ?? (_ => { })) { Groups = groups, Hosting = hosting };
        var attributes = Attributes.CreateName("lstm-compute").And(Attributes.CreateInputBuffer(2, 2));
        if (!string.IsNullOrEmpty(settings.ComputeDispatcher))
        {
            if (!system.Dispatchers.HasDispatcher(settings.ComputeDispatcher))
                throw new ArgumentException($"lstm-streams.compute-dispatcher = \"{settings.ComputeDispatcher}\" is not a dispatcher configured in this actor system.", nameof(settings));
            attributes = attributes.And(ActorAttributes.CreateDispatcher(settings.ComputeDispatcher));
        }

        return (Flow.FromGraph(stage).WithAttributes(attributes).Async(), ComputeStage.MaxGroup(settings));
    }

    /// <summary>Adds the embedded reference.conf beneath the system's config (once) so its dispatchers resolve.</summary>
    public static void EnsureReferenceConfig(ActorSystem system)
    {
        if (!system.Settings.Config.HasPath("lstm-streams.pinned-dispatcher"))
            system.Settings.InjectTopLevelFallback(StreamingSettings.ReferenceConfig);
    }
}
