using System.Diagnostics;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Stage;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;
using LstmStreams.Persistence;
using LstmStreams.Pipeline;
using LstmStreams.Sequences;
using LstmStreams.Settings;

namespace LstmStreams.Compute;

/// <summary>
/// The shared compute stage. Admits observations (validating them and counting them against
/// max-in-flight), tells them to the sequence region, receives the sequence actors' step requests through
/// a <see cref="StepInbox"/>, forms a batch of whatever is waiting (at most one step per sequence, the
/// sequence's later steps deferred in order), runs one kernel step for the batch and emits the batch's
/// predictions as one element on demand (one cross-thread hand-off per batch, not per prediction;
/// <see cref="Pipeline.LstmStream"/> flattens them). A slow downstream stops the kernel, in-flight fills,
/// and the source is no longer pulled.
/// </summary>
public sealed class ComputeStage : GraphStageWithMaterializedValue<FlowShape<IReadOnlyList<Observation>, IReadOnlyList<Prediction>>, PipelineMetrics>
{
    private readonly RecurrentModel _model;
    private readonly StreamingSettings _settings;
    private readonly Func<RecurrentModel, int, IStepKernel> _kernelFactory;
    private readonly Action<ObservationError> _onError;

    /// <summary>Creates the stage.</summary>
    /// <param name="model">The model every sequence runs.</param>
    /// <param name="settings">Batch, in-flight and passivation settings.</param>
    /// <param name="kernelFactory">Creates the kernel (model, max batch) when the stage starts.</param>
    /// <param name="onError">Receives an error record per rejected observation, on the stage's thread.</param>
    public ComputeStage(RecurrentModel model, StreamingSettings settings, Func<RecurrentModel, int, IStepKernel> kernelFactory, Action<ObservationError> onError)
    {
        _model = model;
        _settings = settings;
        _kernelFactory = kernelFactory;
        _onError = onError;
        Shape = new FlowShape<IReadOnlyList<Observation>, IReadOnlyList<Prediction>>(In, Out);
    }

    /// <summary>Where the flow's grouping rents the lists it sends; the stage gives each back once admitted.
    /// Null: the lists are not reused.</summary>
    internal ObservationGroups? Groups { get; init; }

    /// <summary>Set by a cluster host: the keeper's gate and who is told the region. Null for a local flow.</summary>
    internal SequenceHosting? Hosting { get; init; }

    /// <summary>Observations in, in groups (whatever the upstream side batched while the stage was busy;
    /// at most <see cref="MaxGroup"/> each).</summary>
    public Inlet<IReadOnlyList<Observation>> In { get; } = new("ComputeStage.in");

    /// <summary>The largest group of observations the stage takes at once: a quarter of max-in-flight, at
    /// most 256, so that in-flight never exceeds max-in-flight.</summary>
    public static int MaxGroup(StreamingSettings settings) => Math.Clamp(settings.MaxInFlight / 4, 1, 256);

    /// <summary>Predictions out, one batch (in the batch's order) per element.</summary>
    public Outlet<IReadOnlyList<Prediction>> Out { get; } = new("ComputeStage.out");

    /// <inheritdoc />
    public override FlowShape<IReadOnlyList<Observation>, IReadOnlyList<Prediction>> Shape { get; }

    /// <inheritdoc />
    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("lstm-compute");

    /// <inheritdoc />
    public override ILogicAndMaterializedValue<PipelineMetrics> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var metrics = new PipelineMetrics(_settings.MaxBatchSize);
        Telemetry.StreamMeter.Track(metrics);
        return new LogicAndMaterializedValue<PipelineMetrics>(new Logic(this, metrics), metrics);
    }

    private sealed class Logic : TimerGraphStageLogic
    {
        private const string FillTimer = "fill-batch";
        private const string LeaseSweepTimer = "lease-sweep";
        private const string SnapshotTimer = "snapshot";
        private readonly ComputeStage _stage;
        private readonly PipelineMetrics _metrics;
        private readonly StepInbox _inbox = new();
        private readonly ObservationValidator _validator;
        private readonly BatchFormer _batches;
        private Prediction[]? _ready; // the last batch's predictions, until pushed
        private IStepKernel? _kernel;
        private const int MaxChunk = 256;
        private IActorRef _region = ActorRefs.Nobody;
        private ISequenceMessage[] _chunk = new ISequenceMessage[MaxChunk];
        private int _chunkCount;
        private Action? _flushSoon;
        private readonly LeaseTable _leases = new(); // open states the stage accepts observations for
        private readonly GroupPrefetcher _prefetcher;
        private readonly Dictionary<string, int> _inTransit = new(StringComparer.Ordinal); // observations on their way through the region
        private readonly Dictionary<SequenceState, IActorRef> _closing = new(ReferenceEqualityComparer.Instance); // closed, steps still held
        private readonly List<CloseRequest> _closeRequests = new();
        private long _inFlight;
        private bool _upstreamFinished;
        private readonly int _maxGroup;
        private IActorRef? _keeper;
        private SequenceContext? _sequences;
        private bool _flushing, _flushed;

        public Logic(ComputeStage stage, PipelineMetrics metrics) : base(stage.Shape)
        {
            _stage = stage;
            _metrics = metrics;
            _validator = new ObservationValidator(stage._model.InputSize, stage._settings.MaxAbsFeature);
            _batches = new BatchFormer(stage._model, stage._settings.MaxBatchSize);
            _maxGroup = MaxGroup(stage._settings);
            _prefetcher = new GroupPrefetcher(_leases, _maxGroup);
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: OnUpstreamFinish, onUpstreamFailure: FailStage);
            SetHandler(stage.Out, onPull: OnPull, onDownstreamFinish: _ => CompleteStage());
        }

        public override void PreStart()
        {
            _kernel = _stage._kernelFactory(_stage._model, _stage._settings.MaxBatchSize);
            var system = (Materializer as ActorMaterializer ?? throw new InvalidOperationException("the LstmStreams flow needs an ActorMaterializer.")).System;
            var wake = GetAsyncCallback(RunBatchIfPossible);
            _flushSoon = GetAsyncCallback(FlushChunk);
            _inbox.SetWake(wake);
            var settings = _stage._settings;
            var passivation = PassivationPolicies.From(settings);
            string name = Guid.NewGuid().ToString("N")[..8];
            _keeper = SnapshotStores.StartKeeper(system, settings.Persistence, _metrics.Store, "lstm-snapshots-" + name);
            if (_keeper is not null && _stage.Hosting is { } hosting) _keeper = hosting.SnapshotGate(_keeper);
            _sequences = new SequenceContext(ModelShape.Of(_stage._model), _inbox, passivation, _keeper, settings.Persistence) { ReuseActors = true };
            _region = system.ActorOf(
                SequenceRegion.Props(SequenceActor.Props(_sequences).WithDispatcher(settings.SequenceDispatcher).WithMailbox("lstm-streams.sequence-mailbox"), passivation, _metrics.SetLiveSequences)
                    .WithDispatcher(settings.RegionDispatcher),
                "lstm-sequences-" + name);
            _stage.Hosting?.RegionStarted?.Invoke(_region);
            if (passivation.SweepInterval is { } sweep) ScheduleRepeatedly(LeaseSweepTimer, sweep);
            if (_keeper is not null && settings.Persistence.SnapshotInterval > TimeSpan.Zero) ScheduleRepeatedly(SnapshotTimer, settings.Persistence.SnapshotInterval);
            _inbox.Rearm();
            Pull(_stage.In);
        }

        public override void PostStop()
        {
            Telemetry.StreamMeter.Forget(_metrics);
            // Stopped without completing (failure, cancellation): still hand every unsaved state to the keeper,
            // which writes them before it stops. The states are consistent: no step runs now.
            if (_keeper is not null && !_flushed)
            {
                SaveLeasedStates(closedToo: true);
                _keeper.Tell(StopWhenFlushed.Instance);
            }

            _region.Tell(PoisonPill.Instance);
            _kernel?.Dispose();
        }

        private void OnPush()
        {
            // The groups come from the flow's own Batch (lists): read them as a span, not element by element
            // through IReadOnlyList's interface (six passes over up to 256 observations per group).
            var grabbed = Grab(_stage.In);
            ReadOnlySpan<Observation> group = grabbed switch
            {
                List<Observation> list => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list),
                Observation[] array => array,
                _ => grabbed.ToArray(),
            };
            _prefetcher.Run(group);
            long now = Stopwatch.GetTimestamp();
            for (int i = 0; i < group.Length; i++)
            {
                var observation = group[i];
                if (_validator.Check(observation) is { } reason)
                {
                    _metrics.OnRejected();
                    _stage._onError(new ObservationError(observation.Position, string.IsNullOrEmpty(observation.SequenceId) ? null : observation.SequenceId, reason));
                    continue;
                }

                if (observation.AdmittedTicks == 0) observation.AdmittedTicks = now; // a source may stamp the scheduled time
                _inFlight++;
                _metrics.OnAdmitted();
                Admit(observation, _prefetcher.HashOf(i, observation));
            }

            if (_stage.Groups is { } groups && grabbed is List<Observation> used) groups.Return(used);
            PullIfAllowed();
        }

        /// <summary>
        /// A live sequence whose state the stage holds (and has not closed), with nothing of it still on its way
        /// through the region, is accepted here without a message to its actor; any other goes through the
        /// region. Either way its requests join the waiting list in its own order.
        /// </summary>
        private void Admit(Observation observation, int hash)
        {
            // The end-of-burst hook: runs once the interpreter has handled every event already queued
            // (an async callback is processed after them), then flushes the region burst and runs a batch.
            RunSoon();

            string id = observation.SequenceId;
            bool inTransit = _inTransit.Count != 0 && _inTransit.ContainsKey(id);
            if (!inTransit && _leases.Find(id, hash) is { } state)
            {
                if (!state.Closed)
                {
                    if (state.TryAccept(observation, out long t) is { } rejection)
                    {
                        Reject(observation, rejection);
                        return;
                    }

                    state.StepHeld();
                    _batches.Add(new StepRequest(state, observation, t));
                    return;
                }

                _leases.Remove(id); // closed at its actor's request: the region decides what comes next
            }

            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_inTransit, id, out _)++;
            _chunk[_chunkCount++] = observation;
            if (_chunkCount == MaxChunk) FlushRegionBurst();
        }

        private bool _burstOpen;

        /// <summary>
        /// Runs <see cref="FlushChunk"/> once the interpreter has handled every event already queued (an async
        /// callback is processed after them): a burst admitted now, or a group already waiting in the mailbox,
        /// joins the batch instead of following it. Closed loop, the requests a batch left waiting (a second
        /// observation of a sequence in the batch) then go with the next group, not as a batch of one or two
        /// with its own emission.
        /// </summary>
        private void RunSoon()
        {
            if (_burstOpen) return;
            _burstOpen = true;
            _flushSoon!();
        }

        private void FlushChunk()
        {
            _burstOpen = false;
            FlushRegionBurst();
            RunBatchIfPossible();
        }

        private void FlushRegionBurst()
        {
            if (_chunkCount == 0) return;
            if (_chunkCount == 1) _region.Tell(_chunk[0], ActorRefs.NoSender);
            else _region.Tell(new SequenceMessageBatch(_chunk, _chunkCount), ActorRefs.NoSender);
            _chunk = _chunkCount == 1 ? _chunk : new ISequenceMessage[MaxChunk];
            _chunkCount = 0;
        }

        /// <summary>Moves the actors' submissions into the waiting list and takes the lease of their states;
        /// then closes the states whose actors asked (after their earlier steps, which are taken first).</summary>
        private void DrainInbox()
        {
            while (_inbox.TryTakeClose(out var close)) _closeRequests.Add(close); // before the steps: see StepInbox
            bool rejected = false;
            while (_inbox.TryTake(out var request))
            {
                string id = request.State.SequenceId;
                ref int transit = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_inTransit, id);
                if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref transit) && --transit == 0) _inTransit.Remove(id);
                _leases.Set(request.State);
                if (request.Rejection is { } rejection)
                {
                    Reject(request.Observation, rejection);
                    rejected = true;
                }
                else
                {
                    request.State.StepHeld();
                    _batches.Add(request);
                }
            }

            foreach (var close in _closeRequests)
            {
                close.State.Closed = true;
                if (close.State.Pending == 0) close.Owner.Tell(SequenceClosed.Instance, ActorRefs.NoSender);
                else _closing[close.State] = close.Owner;
            }

            _closeRequests.Clear();
            if (rejected)
            {
                PullIfAllowed();
                CompleteIfDone();
            }
        }

        /// <summary>An admitted observation that will not be stepped (a duplicate, a refused sequence): an
        /// error record, and it leaves in-flight.</summary>
        private void Reject(Observation observation, Rejection rejection)
        {
            _inFlight--;
            _metrics.OnRejectedInFlight(rejection.Kind);
            _stage._onError(new ObservationError(observation.Position, observation.SequenceId, rejection.Reason, rejection.Kind));
        }

        /// <summary>Hands the keeper every live state with unsaved steps (stage thread: no step runs now). When
        /// the stream ends (<paramref name="closedToo"/>), also the states closed for actors that may be stopped
        /// before they read <see cref="SequenceClosed"/> (the region is stopped right after); a state its actor
        /// writes as well is only written twice, with the same values.</summary>
        private void SaveLeasedStates(bool closedToo = false)
        {
            foreach (var state in _leases.States())
            {
                if (closedToo || !state.Closed) _sequences!.SaveIfUnsaved(state, copy: true);
            }

            if (!closedToo) return;
            foreach (var state in _closing.Keys) _sequences!.SaveIfUnsaved(state, copy: true);
        }

        /// <summary>After a step: a sequence that ended loses its stored state; one with snapshot-every unsaved
        /// steps is written; then a closed state with no step left is handed back to its actor. In that order: the
        /// keeper must have this batch's delete or save before the actor (and a successor's load) can follow.</summary>
        private void AfterBatch(int size)
        {
            if (_keeper is not null)
            {
                int every = _stage._settings.Persistence.SnapshotEvery;
                for (int i = 0; i < size; i++)
                {
                    ref readonly var request = ref _batches.RequestOf(i);
                    if (request.Observation.End) _keeper.Tell(new DeleteSequence(request.State.SequenceId, request.T), ActorRefs.NoSender);
                    else if (every > 0 && request.State.UnsavedSteps >= every) _sequences!.SaveIfUnsaved(request.State, copy: true);
                }
            }

            if (_closing.Count == 0) return;
            for (int i = 0; i < size; i++)
            {
                var state = _batches.RequestOf(i).State;
                if (state.Closed && state.Pending == 0 && _closing.Remove(state, out var owner)) owner.Tell(SequenceClosed.Instance, ActorRefs.NoSender);
            }
        }

        private void SweepLeases() => _leases.RemoveWhere(state => state.Closed);

        private void OnUpstreamFinish()
        {
            _upstreamFinished = true;
            CompleteIfDone();
        }

        private void OnPull()
        {
            if (_ready is not null) Emit();
            if (_ready is null) RunBatchIfPossible(); // also drains the inbox, which does not wake a stage that was not idle
        }

        protected override void OnTimer(object timerKey)
        {
            if (Equals(timerKey, LeaseSweepTimer)) SweepLeases();
            else if (Equals(timerKey, SnapshotTimer)) SaveLeasedStates();
            else RunBatch();
        }

        private void Emit()
        {
            var predictions = _ready!;
            _ready = null;
            long now = Stopwatch.GetTimestamp();
            for (int i = 0; i < predictions.Length; i++) _metrics.OnEmitted(_batches.AdmittedTicksOf(i), now);
            _inFlight -= predictions.Length;
            Push(_stage.Out, predictions);
            PullIfAllowed();
            CompleteIfDone();
        }

        private void RunBatchIfPossible()
        {
            if (_ready is not null || IsTimerActive(FillTimer)) return; // previous batch not yet emitted
            DrainInbox();
            if (_batches.WaitingCount == 0)
            {
                _inbox.Rearm(); // the next submit wakes us; drain once more to close the race
                DrainInbox();
                if (_batches.WaitingCount == 0) return;
            }

            if (_stage._settings.MaxBatchDelay > TimeSpan.Zero && _batches.WaitingCount < _stage._settings.MaxBatchSize)
            {
                ScheduleOnce(FillTimer, _stage._settings.MaxBatchDelay);
                return;
            }

            RunBatch();
        }

        private void RunBatch()
        {
            DrainInbox();
            var predictions = _batches.Step(_kernel!);
            if (predictions is null) return;
            _metrics.OnBatch(predictions.Length);
            AfterBatch(predictions.Length);
            _ready = predictions;
            if (IsAvailable(_stage.Out)) Emit();
            if (_ready is null && _batches.WaitingCount > 0) RunSoon();
        }

        private void PullIfAllowed()
        {
            // Pull only when a whole group fits: admitted-but-not-emitted never exceeds max-in-flight.
            if (!_upstreamFinished && _inFlight + _maxGroup <= _stage._settings.MaxInFlight && !HasBeenPulled(_stage.In) && !IsClosed(_stage.In))
                Pull(_stage.In);
        }

        private void CompleteIfDone()
        {
            if (!_upstreamFinished || _inFlight != 0) return;
            if (_keeper is null)
            {
                CompleteStage();
                return;
            }

            // Graceful end: every state is written before the stream completes.
            if (_flushing) return;
            _flushing = true;
            SaveLeasedStates(closedToo: true);
            var flushed = GetAsyncCallback(() =>
            {
                _flushed = true;
                _keeper.Tell(StopWhenFlushed.Instance);
                CompleteStage();
            });
            _keeper.Ask<SequencesFlushed>(FlushSequences.Instance, Timeout.InfiniteTimeSpan).ContinueWith(_ => flushed(), TaskContinuationOptions.ExecuteSynchronously);
        }
    }
}
