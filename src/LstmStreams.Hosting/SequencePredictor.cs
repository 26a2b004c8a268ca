using System.Collections.Concurrent;
using System.Threading.Channels;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Hosting;

/// <summary>
/// Answers observations one call at a time, for programs that are not streams themselves (a web endpoint, a
/// message handler): <c>await SequencePredictor.For(system).PredictAsync(observation)</c> returns the
/// observation's <see cref="Prediction"/> or its <see cref="ObservationError"/>. Behind it runs one
/// <see cref="LstmStream"/> flow per actor system, so concurrent callers are batched into the same kernel steps;
/// when that flow is full, callers wait (backpressure), nothing is dropped. Started by
/// <c>WithLstmStreams</c> (Akka.Hosting) or on first use; stopped, with every state saved, by the system's
/// coordinated shutdown.
/// </summary>
public sealed class SequencePredictor : IExtension
{
    private readonly Channel<Observation> _incoming;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<StreamResult>> _waiting = new();
    private long _position;
    private volatile Exception? _failure;

    internal SequencePredictor(ExtendedActorSystem system)
    {
        var setup = system.Settings.Setup.Get<LstmStreamsSetup>();
        if (!setup.HasValue)
            throw new InvalidOperationException("No model for LstmStreams in this actor system: add it with builder.WithLstmStreams(model) (Akka.Hosting) or ActorSystemSetup.Create(new LstmStreamsSetup(model)).");
        LstmStream.EnsureReferenceConfig(system);
        var settings = setup.Value.Settings ?? StreamingSettings.FromConfig(system.Settings.Config);
        // Room for a full pipeline's worth of callers; beyond it WriteAsync waits.
        _incoming = Channel.CreateBounded<Observation>(new BoundedChannelOptions(Math.Max(1, settings.MaxInFlight))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var flow = LstmStream.Create(system, setup.Value.Model, settings, error => Answer(error.Position, error));
        var (metrics, done) = ChannelSource.FromReader(_incoming.Reader)
            .ViaMaterialized(flow, Keep.Right)
            .ToMaterialized(Sink.ForEach<Prediction>(p => Answer(p.Position, p)), Keep.Both)
            .Run(system.Materializer());
        Metrics = metrics;
        done.ContinueWith(t => Fail(t.Exception?.GetBaseException() ?? new InvalidOperationException("The LstmStreams flow stopped.")),
            TaskScheduler.Default);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "lstm-streams-predictor", async () =>
        {
            _incoming.Writer.TryComplete(); // the flow finishes what it holds and saves every state
            await done.ContinueWith(_ => { }, TaskScheduler.Default);
            return Done.Instance;
        });
    }

    /// <summary>The running flow's live counters.</summary>
    public PipelineMetrics Metrics { get; }

    /// <summary>The predictor of <paramref name="system"/>, started on first use.</summary>
    public static SequencePredictor For(ActorSystem system) => system.WithExtension<SequencePredictor, SequencePredictorProvider>();

    /// <summary>Steps <paramref name="observation"/>'s sequence and returns its prediction, or the error record
    /// saying why it could not be applied. Observations of one sequence are applied in the order of the calls.</summary>
    /// <param name="observation">The observation; its <see cref="Observation.Position"/> is replaced by the predictor's own.</param>
    /// <param name="cancellationToken">Cancels the wait for room in the flow; once the observation is in, its answer comes.</param>
    /// <exception cref="InvalidOperationException">The predictor has stopped (the actor system is shutting down) or its flow failed.</exception>
    public async Task<StreamResult> PredictAsync(Observation observation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(observation);
        if (_failure is { } failure) throw new InvalidOperationException("The LstmStreams predictor has stopped.", failure);
        long position = Interlocked.Increment(ref _position);
        var answer = new TaskCompletionSource<StreamResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[position] = answer;
        try
        {
            await _incoming.Writer.WriteAsync(
                new Observation(observation.SequenceId, observation.Features, observation.T, observation.Reset, observation.End, position),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _waiting.TryRemove(position, out _);
            if (e is ChannelClosedException) throw new InvalidOperationException("The LstmStreams predictor has stopped.", _failure ?? e);
            throw;
        }

        if (_failure is not null) Fail(_failure); // stopped while writing: answer everything still waiting
        return await answer.Task.ConfigureAwait(false);
    }

    private void Answer(long position, StreamResult result)
    {
        if (_waiting.TryRemove(position, out var answer)) answer.TrySetResult(result);
    }

    private void Fail(Exception reason)
    {
        _failure ??= reason;
        _incoming.Writer.TryComplete();
        foreach (var position in _waiting.Keys)
            if (_waiting.TryRemove(position, out var answer))
                answer.TrySetException(new InvalidOperationException("The LstmStreams predictor stopped before answering.", reason));
    }
}

/// <summary>Makes the one <see cref="SequencePredictor"/> of an actor system.</summary>
public sealed class SequencePredictorProvider : ExtensionIdProvider<SequencePredictor>
{
    /// <inheritdoc />
    public override SequencePredictor CreateExtension(ExtendedActorSystem system) => new(system);
}
