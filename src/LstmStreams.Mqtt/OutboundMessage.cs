using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using LstmStreams.Pipeline;
using LstmStreams.Formats;
using MQTTnet;
using MQTTnet.Protocol;

namespace LstmStreams.Mqtt;

/// <summary>
/// One prediction message of <see cref="MqttPredictionSink"/>: its topic, the predictions it carries (one, or a
/// batch) with their input positions, and its payload, written into a buffer that is reused. Instances are pooled
/// by the sink: taken on the stage's thread, written, published, and returned once the broker's PUBACK has
/// completed the positions (a lost publish is sent again with the same payload). The publish's completion is
/// observed without a continuation task or closure per message (<see cref="Observe"/>).
/// </summary>
internal sealed class OutboundMessage
{
    private readonly ArrayBufferWriter<byte> _payload = new(256);
    private bool _asArray;
    private readonly Action _onCompleted;
    private readonly Action<OutboundMessage> _done;
    private long[] _positions = new long[1];
    private ConfiguredTaskAwaitable<MqttClientPublishResult>.ConfiguredTaskAwaiter _awaiter;

    /// <param name="done">Called (on the thread that completed the publish) once the publish has an outcome.</param>
    public OutboundMessage(Action<OutboundMessage> done)
    {
        _done = done;
        _onCompleted = OnCompleted;
    }

    /// <summary>The output topic.</summary>
    public string Topic { get; private set; } = "";

    /// <summary>Predictions in the message.</summary>
    public int Count { get; private set; }

    /// <summary>The sequence id of the first prediction (for messages).</summary>
    public string FirstSequenceId { get; private set; } = "";

    /// <summary>The input positions the predictions answer, in message order.</summary>
    public ReadOnlySpan<long> Positions => _positions.AsSpan(0, Count);

    /// <summary>The publish's outcome once observed: a result, or the exception (null when it succeeded).</summary>
    public MqttClientPublishResult? Result { get; private set; }

    /// <summary>Why the publish failed (lost connection, cancelled), when it did.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>When the first prediction was added (to publish a part-full batch after the linger).</summary>
    public long OpenedTicks { get; private set; }

    /// <summary>Starts a message for <paramref name="topic"/>; <paramref name="asArray"/> writes a JSON array.</summary>
    public void Open(string topic, bool asArray, long nowTicks)
    {
        Topic = topic;
        Count = 0;
        OpenedTicks = nowTicks;
        _payload.ResetWrittenCount();
        _asArray = asArray;
        if (asArray) _payload.Write("["u8);
    }

    /// <summary>Adds one prediction's object to the payload.</summary>
    public void Add(Prediction prediction)
    {
        if (Count == _positions.Length) Array.Resize(ref _positions, Count * 2);
        if (Count == 0) FirstSequenceId = prediction.SequenceId;
        _positions[Count++] = prediction.Position;
        if (_asArray && Count > 1) _payload.Write(","u8);
        PredictionText.WriteJson(_payload, prediction);
    }

    /// <summary>Ends the payload (the array, when one was started).</summary>
    public void Close(bool asArray)
    {
        if (asArray) _payload.Write("]"u8);
    }

    /// <summary>The MQTT message to publish (QoS 1); the payload is this instance's buffer, valid until it is reused.</summary>
    public MqttApplicationMessage ToMessage() => new()
    {
        Topic = Topic,
        Payload = new ReadOnlySequence<byte>(_payload.WrittenMemory),
        QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
    };

    /// <summary>Calls the done callback when <paramref name="publish"/> completes.</summary>
    public void Observe(Task<MqttClientPublishResult> publish)
    {
        Result = null;
        Failure = null;
        _awaiter = publish.ConfigureAwait(false).GetAwaiter();
        if (_awaiter.IsCompleted) OnCompleted();
        else _awaiter.UnsafeOnCompleted(_onCompleted);
    }

    private void OnCompleted()
    {
        try
        {
            Result = _awaiter.GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Failure = e;
        }

        _awaiter = default;
        _done(this);
    }
}
