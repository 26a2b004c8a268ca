using Akka.Actor;
using Akka.Event;
using LstmStreams.Persistence;
using LstmStreams.Pipeline;
using LstmStreams.Sequences;

namespace LstmStreams.Cluster.Hosting;

/// <summary>
/// A node's side of the release protocol (Flink's checkpoint, two-phase: a state is written only once what it
/// includes is answered, and an observation is released only once a written state includes it). One per node:
/// <list type="bullet">
/// <item>sends the engine's answers to the ingesters, in batches numbered per ingester;</item>
/// <item>stands in front of the snapshot keeper: loads pass through; a save or delete waits in its sequence's
/// <see cref="SnapshotGate"/> until the ingester confirms the batch with that step's prediction;</item>
/// <item>every checkpoint interval asks the keeper to flush what it was given, then tells each ingester which
/// sequences are durable up to which t (<see cref="Released"/>);</item>
/// <item>hands a shard's sequences over (passivate, write, flush) when its entity stops.</item>
/// </list>
/// </summary>
internal sealed class NodeHost : UntypedActor, IWithTimers
{
    private const string CheckpointTimer = "checkpoint";
    private readonly IngesterSlots _slots;
    private readonly ShardLoad _load;
    private readonly int _shards;
    private readonly TimeSpan _checkpointInterval;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, SnapshotGate> _gates = new(StringComparer.Ordinal);
    private readonly List<SlotState> _bySlot = new();
    private readonly List<PendingHandOff> _handOffs = new();
    private IActorRef? _keeper;
    private IActorRef? _region;
    private List<Written> _written = new(); // given to the keeper since the last flush was asked
    private List<Written>? _flushing; // given to the keeper before the flush now asked
    private long _flushesAsked, _flushesDone;

    public NodeHost(IngesterSlots slots, ShardLoad load, int shards, TimeSpan checkpointInterval)
    {
        _slots = slots;
        _load = load;
        _shards = shards;
        _checkpointInterval = checkpointInterval;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IngesterSlots slots, ShardLoad load, int shards, TimeSpan checkpointInterval) =>
        Akka.Actor.Props.Create(() => new NodeHost(slots, load, shards, checkpointInterval));

    protected override void PreStart() => Timers.StartPeriodicTimer(CheckpointTimer, Checkpoint.Instance, _checkpointInterval);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case UseKeeper use:
                _keeper = use.Keeper;
                break;
            case UseRegion use:
                _region = use.Region;
                break;
            case EngineBatch batch:
                SendAnswers(batch.Predictions);
                break;
            case EngineError error:
                SendError(error.Error);
                break;
            case ConfirmAnswers confirm:
                OnConfirmed(_slots.SlotOf(Sender), confirm.Batch);
                break;
            case LoadSequence:
                Keeper.Forward(message);
                break;
            case SaveSequence save:
                Hold(save.SequenceId, save.Snapshot, save.Snapshot.LastT);
                break;
            case DeleteSequence delete:
                Hold(delete.SequenceId, null, delete.T);
                break;
            case FlushSequences or StopWhenFlushed:
                // The engine completes (the node stops): every held state is written now; the answers it waits for were sent.
                WriteEverything();
                Keeper.Forward(message);
                break;
            case Checkpoint:
                if (_written.Count > 0) StartFlush();
                break;
            case SequencesFlushed:
                OnFlushed();
                break;
            case HandOffSequences handOff:
                var request = new PassivateSequences(handOff.SequenceIds);
                _handOffs.Add(new PendingHandOff(request, Sender));
                if (_region is null) Self.Tell(new SequencesPassivated(request));
                else _region.Tell(request);
                break;
            case SequencesPassivated passivated:
                foreach (var handOff in _handOffs)
                {
                    if (ReferenceEquals(handOff.Request, passivated.Request)) handOff.Passivated = true;
                }

                CheckHandOffs();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private IActorRef Keeper => _keeper ?? throw new InvalidOperationException("the node's engine has not started its keeper (a cluster node needs a store).");

    private SlotState SlotOf(int slot)
    {
        while (_bySlot.Count <= slot) _bySlot.Add(new SlotState());
        return _bySlot[slot];
    }

    private void SendAnswers(IReadOnlyList<Prediction> predictions)
    {
        // Nearly always one ingester a batch; grouping by slot keeps each ingester's batches whole.
        int first = predictions.Count == 0 ? 0 : IngesterSlots.SlotOfPosition(predictions[0].Position);
        bool oneSlot = true;
        for (int i = 1; i < predictions.Count && oneSlot; i++) oneSlot = IngesterSlots.SlotOfPosition(predictions[i].Position) == first;
        if (oneSlot)
        {
            if (predictions.Count > 0) Send(first, predictions as Prediction[] ?? predictions.ToArray());
            return;
        }

        foreach (var group in predictions.GroupBy(p => IngesterSlots.SlotOfPosition(p.Position))) Send(group.Key, group.ToArray());
    }

    private void Send(int slot, Prediction[] predictions)
    {
        var state = SlotOf(slot);
        long batch = ++state.Sent;
        _slots[slot].Tell(new Answers(batch, predictions, []), Self);
        foreach (var prediction in predictions)
        {
            _load.Answered(ShardIds.Of(prediction.SequenceId, _shards));
            if (!_gates.TryGetValue(prediction.SequenceId, out var gate))
            {
                gate = new SnapshotGate();
                _gates.Add(prediction.SequenceId, gate);
            }

            if (gate.Emitted(prediction.T, slot, batch)) state.Waiting.Enqueue((batch, prediction.SequenceId));
        }
    }

    private void SendError(ObservationError error)
    {
        int slot = IngesterSlots.SlotOfPosition(error.Position);
        var state = SlotOf(slot);
        _slots[slot].Tell(new Answers(++state.Sent, [], [error]), Self);
        _load.Answered(ShardIds.Of(error.SequenceId ?? string.Empty, _shards));
    }

    private void Hold(string id, SequenceSnapshot? snapshot, long? t)
    {
        if (t is null)
        {
            Write(id, snapshot, slot: -1, long.MinValue); // no step with a t: nothing an ingester waits for
            return;
        }

        if (!_gates.TryGetValue(id, out var gate))
        {
            gate = new SnapshotGate();
            _gates.Add(id, gate);
        }

        var held = gate.Hold(snapshot, t.Value);
        if (held.Batch == 0) return; // its prediction has not left yet: Emitted learns the batch
        if (SlotOf(held.Slot).Confirmed >= held.Batch) WriteWritable(id, gate);
        else SlotOf(held.Slot).Waiting.Enqueue((held.Batch, id));
    }

    private void OnConfirmed(int slot, long batch)
    {
        var state = SlotOf(slot);
        if (batch <= state.Confirmed) return;
        state.Confirmed = batch;
        while (state.Waiting.TryPeek(out var head) && head.Batch <= batch)
        {
            state.Waiting.Dequeue();
            if (_gates.TryGetValue(head.SequenceId, out var gate)) WriteWritable(head.SequenceId, gate);
        }

        CheckHandOffs();
    }

    private void WriteWritable(string id, SnapshotGate gate)
    {
        if (gate.TakeWritable(slot => slot < _bySlot.Count ? _bySlot[slot].Confirmed : 0) is { } held) Write(id, held.Snapshot, held.Slot, held.T);
    }

    private void Write(string id, SequenceSnapshot? snapshot, int slot, long t)
    {
        if (snapshot is null) Keeper.Tell(new DeleteSequence(id), Self);
        else Keeper.Tell(new SaveSequence(id, snapshot), Self);
        if (slot >= 0) _written.Add(new Written(slot, id, t));
    }

    private void WriteEverything()
    {
        foreach (var (id, gate) in _gates)
        {
            if (gate.Waiting.Count == 0) continue;
            var newest = gate.Waiting[^1];
            gate.Waiting.Clear();
            Write(id, newest.Snapshot, newest.Slot, newest.T);
        }
    }

    private void StartFlush()
    {
        if (_flushing is not null) return; // the next checkpoint (or hand-off) asks again
        _flushing = _written;
        _written = new List<Written>();
        _flushesAsked++;
        Keeper.Tell(FlushSequences.Instance, Self);
    }

    private void OnFlushed()
    {
        var durable = _flushing ?? [];
        _flushing = null;
        _flushesDone++;
        foreach (var group in durable.GroupBy(w => w.Slot))
        {
            var ids = new string[group.Count()];
            var ts = new long[ids.Length];
            int i = 0;
            foreach (var written in group)
            {
                ids[i] = written.SequenceId;
                ts[i++] = written.T;
            }

            _slots[group.Key].Tell(new Released(ids, ts), Self);
        }

        CheckHandOffs();
    }

    /// <summary>A hand-off is done once its sequences are passivated, none of their states is held, and a flush asked
    /// after that has completed.</summary>
    private void CheckHandOffs()
    {
        for (int i = _handOffs.Count - 1; i >= 0; i--)
        {
            var handOff = _handOffs[i];
            if (!handOff.Passivated) continue;
            if (handOff.FlushNeeded == 0)
            {
                bool held = false;
                foreach (var id in handOff.Request.SequenceIds)
                {
                    if (_gates.TryGetValue(id, out var gate) && gate.Waiting.Count > 0)
                    {
                        held = true;
                        break;
                    }
                }

                if (held) continue;
                handOff.FlushNeeded = _flushesAsked + 1; // a flush not yet asked: the one in progress may predate their writes
            }

            if (_flushesDone < handOff.FlushNeeded)
            {
                if (_flushing is null) StartFlush();
                continue;
            }

            foreach (var id in handOff.Request.SequenceIds) _gates.Remove(id);
            _log.Debug("handed over {0} sequences", handOff.Request.SequenceIds.Count);
            handOff.ReplyTo.Tell(SequencesHandedOff.Instance, Self);
            _handOffs.RemoveAt(i);
        }
    }

    private sealed class SlotState
    {
        public long Sent;
        public long Confirmed;
        public readonly Queue<(long Batch, string SequenceId)> Waiting = new();
    }

    private sealed record Written(int Slot, string SequenceId, long T);

    private sealed class PendingHandOff(PassivateSequences request, IActorRef replyTo)
    {
        public PassivateSequences Request { get; } = request;

        public IActorRef ReplyTo { get; } = replyTo;

        public bool Passivated { get; set; }

        public long FlushNeeded { get; set; }
    }

    private sealed class Checkpoint
    {
        public static Checkpoint Instance { get; } = new();

        private Checkpoint()
        {
        }
    }
}
