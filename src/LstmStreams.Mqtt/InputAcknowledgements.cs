using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using LstmStreams.Pipeline;
using LstmStreams.Formats;
using MQTTnet;
using MQTTnet.Protocol;

namespace LstmStreams.Mqtt;

/// <summary>
/// The input messages the source took and has not yet acknowledged to the broker, in arrival order. A message
/// owns a run of consecutive positions, one per observation it carries (a single-observation message owns one).
/// A position is done when its prediction's PUBACK came back (<see cref="Complete(long)"/>) or it became an error record
/// (<see cref="Fail"/>); a message is done when all its positions are, and done messages are acknowledged (PUBACK)
/// in the order they arrived, as MQTT asks of a client: each done run at the head is sent together. Messages of an earlier connection are never acknowledged on a later one: the broker redelivers
/// them, and the runtime drops a redelivered observation with an explicit <c>t</c> as a duplicate.
/// Thread-safe: the source, the compute stage (errors) and the sink call it.
/// </summary>
public sealed class InputAcknowledgements
{
    private readonly object _gate = new();
    private readonly PendingMessages _arrival = new();
    private readonly ConcurrentQueue<(int Generation, MqttApplicationMessageReceivedEventArgs Message)> _toAcknowledge = new();
    private int _sending;
    private readonly string _errorTopic;
    private readonly int _receiveMaximum;
    private int _generation;
    private bool _stopped;
    private long _received, _acknowledged, _abandoned, _errors, _maxUnacknowledged;
    private TaskCompletionSource? _drained;
    private TaskCompletionSource? _room;

    /// <summary>Creates the book for one source.</summary>
    public InputAcknowledgements(MqttSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _errorTopic = settings.ErrorTopic;
        _receiveMaximum = settings.ReceiveMaximum;
    }

    /// <summary>Input messages received (each got a position).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Input messages acknowledged to the broker.</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>Input messages that became error records.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Input messages left unacknowledged because their connection was lost (the broker redelivers them).</summary>
    public long Abandoned => Interlocked.Read(ref _abandoned);

    /// <summary>Input messages of the current connection not yet acknowledged, now (at most receive-maximum).</summary>
    public int Unacknowledged
    {
        get
        {
            lock (_gate) return _arrival.Count;
        }
    }

    /// <summary>The largest <see cref="Unacknowledged"/> ever seen.</summary>
    public long MaxUnacknowledgedSeen => Interlocked.Read(ref _maxUnacknowledged);

    /// <summary>True while fewer than receive-maximum messages await acknowledgement.</summary>
    internal bool HasRoom => _arrival.VolatileCount < _receiveMaximum;

    /// <summary>Called when room was freed (the source's <see cref="ReadGate"/> re-checks).</summary>
    internal Action? RoomFreed { get; set; }

    /// <summary>Where error records are published when an error topic is set: the sink's connection, whose
    /// reads are never held back (the source's are, while it is full).</summary>
    internal MqttConnection? Connection { get; set; }

    /// <summary>A new connection (generation) starts: everything of the earlier one is abandoned unacknowledged.</summary>
    internal void NewConnection(int generation)
    {
        lock (_gate)
        {
            Volatile.Write(ref _generation, generation);
            Interlocked.Add(ref _abandoned, _arrival.Count);
            _arrival.Clear();
            SignalIfDrained();
        }
    }

    /// <summary>Records a received message that owns the positions <paramref name="firstPosition"/> ..
    /// <paramref name="firstPosition"/> + <paramref name="count"/> - 1 and must be acknowledged once all are done;
    /// false when it is not taken (its connection is gone, or the source stopped): it stays unacknowledged and is
    /// redelivered. Runs are tracked in increasing position order.</summary>
    internal bool Track(long firstPosition, int count, MqttApplicationMessageReceivedEventArgs message, int generation)
    {
        Debug.Assert(count >= 1, "a message owns at least one position");
        lock (_gate)
        {
            if (generation != _generation || _stopped) return false;
            _arrival.Add(new Pending(firstPosition, count, message));
            Interlocked.Increment(ref _received);
            if (_arrival.Count > _maxUnacknowledged) Interlocked.Exchange(ref _maxUnacknowledged, _arrival.Count);
            Debug.Assert(_arrival.Count <= _receiveMaximum, "the source took a message without room (WaitForRoom)");
            return true;
        }
    }

    /// <summary>The stream has finished: whatever is not done now never will be (an element the kill switch
    /// dropped); it is left for redelivery and the done messages behind it are acknowledged.</summary>
    internal void AbandonPending()
    {
        lock (_gate) Abandon(_ => true);
        SendAcknowledgements();
    }

    /// <summary>The source stopped: nothing more is taken, and a message with a position after
    /// <paramref name="lastEmitted"/> (not all emitted) is left unacknowledged for redelivery, so that what was
    /// emitted whole can still be acknowledged.</summary>
    internal void StopTaking(long lastEmitted)
    {
        lock (_gate)
        {
            _stopped = true;
            Abandon(pending => pending.LastPosition > lastEmitted);
        }

        SendAcknowledgements();
    }

    /// <summary>Leaves the pending messages that <paramref name="which"/> picks unacknowledged, for redelivery,
    /// and acknowledges the done messages in front of them (under the gate).</summary>
    private void Abandon(Func<Pending, bool> which)
    {
        for (int i = 0; i < _arrival.Count; i++)
        {
            var pending = _arrival[i];
            if (pending.Done || !which(pending)) continue;
            pending.Remaining = 0;
            pending.Skip = true;
            Interlocked.Increment(ref _abandoned);
        }

        AcknowledgeDoneHead();
    }

    /// <summary>The observation at <paramref name="position"/> is done (its prediction is at the broker); its
    /// message is done when all its observations are.</summary>
    public void Complete(long position)
    {
        lock (_gate)
        {
            var pending = _arrival.Find(position);
            if (pending is null || pending.Done) return; // of an earlier connection, or abandoned
            pending.Remaining--;
            if (pending.Done && ReferenceEquals(pending, _arrival[0])) AcknowledgeDoneHead();
        }

        SendAcknowledgements();
    }

    /// <summary>The observations at <paramref name="positions"/> are done (a batch's PUBACK); one pass under
    /// the lock.</summary>
    public void Complete(ReadOnlySpan<long> positions)
    {
        lock (_gate)
        {
            bool headDone = false;
            foreach (long position in positions)
            {
                var pending = _arrival.Find(position);
                if (pending is null || pending.Done) continue;
                pending.Remaining--;
                headDone |= pending.Done && ReferenceEquals(pending, _arrival[0]);
            }

            if (headDone) AcknowledgeDoneHead();
        }

        SendAcknowledgements();
    }

    /// <summary>The message at the error's position became an error record: published to the error topic when one
    /// is set, then acknowledged, so that one bad sensor cannot wedge the stream.</summary>
    public void Fail(ObservationError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Interlocked.Increment(ref _errors);
        var client = Connection?.Client;
        if (_errorTopic.Length == 0 || client is null || !client.IsConnected)
        {
            Complete(error.Position);
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, JsonlWriter.Options)) JsonlWriter.WriteError(writer, error);
        var message = new MqttApplicationMessageBuilder().WithTopic(_errorTopic).WithPayload(buffer.WrittenMemory.ToArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        // Acknowledged whatever the outcome: if the connection was lost meanwhile, the acknowledgement is dropped
        // (a later generation) and the broker redelivers the input, which fails again.
        client.PublishAsync(message).ContinueWith(_ => Complete(error.Position), TaskScheduler.Default);
    }

    /// <summary>
    /// Completes when fewer than receive-maximum messages await acknowledgement (or at once). The source waits
    /// for it before taking a message: a broker that sends more than our receive-maximum (Mosquitto 2.0.11 does,
    /// after PUBACKs) cannot push more than that into the pipeline.
    /// </summary>
    internal Task WaitForRoom()
    {
        lock (_gate)
        {
            if (_arrival.Count < _receiveMaximum) return Task.CompletedTask;
            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    /// <summary>Completes when nothing of the current connection awaits acknowledgement (or at once).</summary>
    internal Task WhenDrained()
    {
        lock (_gate)
        {
            if (_arrival.Count == 0) return Task.CompletedTask;
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>Takes the done messages off the head of the arrival order into the PUBACK queue; called under the
    /// lock, so that they are queued in arrival order. The PUBACKs are sent after the lock is released
    /// (<see cref="SendAcknowledgements"/>): sending one may write to the socket, and the source's thread must not
    /// wait for that to take its next message.</summary>
    private void AcknowledgeDoneHead()
    {
        while (_arrival.Count > 0 && _arrival[0] is { Done: true } head)
        {
            _arrival.RemoveFirst();
            if (!head.Skip) _toAcknowledge.Enqueue((_generation, head.Message));
        }

        SignalIfDrained();
    }

    /// <summary>Sends the queued PUBACKs, in queue order, outside the lock: one caller at a time sends the whole run
    /// queued so far (the others only queue), and one queued while the sender was finishing is sent by the loop.
    /// A PUBACK of an earlier connection is dropped (the broker redelivers that message).</summary>
    private void SendAcknowledgements()
    {
        while (!_toAcknowledge.IsEmpty && Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
        {
            while (_toAcknowledge.TryDequeue(out var item))
            {
                if (item.Generation == Volatile.Read(ref _generation)) _ = Acknowledge(item.Message);
                else Interlocked.Increment(ref _abandoned);
            }

            Volatile.Write(ref _sending, 0);
        }
    }

    /// <remarks>Async, so that a PUBACK that throws at once (the connection is gone) is caught here too and never
    /// reaches the caller (the sink's stage, which it would fail).</remarks>
    private async Task Acknowledge(MqttApplicationMessageReceivedEventArgs message)
    {
        try
        {
            await message.AcknowledgeAsync(CancellationToken.None).ConfigureAwait(false);
            Interlocked.Increment(ref _acknowledged);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The connection dropped under the PUBACK: the broker redelivers the message to the next session.
            Interlocked.Increment(ref _abandoned);
        }
    }

    private void SignalIfDrained()
    {
        if (_arrival.Count < _receiveMaximum)
        {
            if (_room is { } room)
            {
                _room = null;
                room.TrySetResult();
            }

            RoomFreed?.Invoke();
        }

        if (_arrival.Count == 0 && _drained is { } drained)
        {
            _drained = null;
            drained.TrySetResult();
        }
    }

}
