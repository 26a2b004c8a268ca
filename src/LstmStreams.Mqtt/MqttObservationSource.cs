using System.Buffers;
using System.Collections.Concurrent;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Stage;
using LstmStreams.Pipeline;
using LstmStreams.Formats;
using MQTTnet;
using MQTTnet.Protocol;

namespace LstmStreams.Mqtt;

/// <summary>
/// Observations from an MQTT topic filter, QoS 1, on a persistent session. A message carries one observation
/// object, a JSON array of them, or JSONL lines (<see cref="PayloadElements"/>); its observations get the next
/// consecutive positions (unique and increasing for the source's life), each is parsed as one JSONL observation
/// object (the sequence id from the topic's <c>+</c> level, which wins, or the element's <c>seq</c>,
/// <see cref="MqttSettings.SequenceFrom"/>), and the message is left unacknowledged:
/// <see cref="InputAcknowledgements"/> sends its PUBACK once every one of its observations' predictions was
/// acknowledged by the broker or became an error record. At most receive-maximum messages are unacknowledged: the
/// broker sends no more (MQTT 5 flow control), the socket is not read while that many are (<see cref="ReadGate"/>, for a
/// broker that sends more anyway), and the stage takes no more; while downstream does not pull, messages wait at
/// the broker.
/// Never completes by itself; cancel it (a kill switch) to stop. The materialized <see cref="MqttSourceStatus"/>
/// says when the subscription is in place and when the connection has closed.
/// </summary>
public sealed class MqttObservationSource : GraphStageWithMaterializedValue<SourceShape<IReadOnlyList<Observation>>, MqttSourceStatus>
{
    private readonly MqttSettings _settings;
    private readonly InputAcknowledgements _acknowledgements;
    private readonly Action<ObservationError> _onError;
    private readonly TimeSpan _drainTimeout;

    /// <summary>Creates the source.</summary>
    /// <param name="settings">Broker, topic filter, receive-maximum.</param>
    /// <param name="acknowledgements">The book the sink and the error path complete messages in.</param>
    /// <param name="onError">Receives an error record per unparsable message (on MQTTnet's thread), before it is
    /// acknowledged.</param>
    /// <param name="drainTimeout">On stop, how long to wait for emitted messages to be done before disconnecting
    /// (what is not done by then is redelivered to the next session); default 5 s.</param>
    public MqttObservationSource(MqttSettings settings, InputAcknowledgements acknowledgements, Action<ObservationError>? onError = null, TimeSpan? drainTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(acknowledgements);
        settings.Validate();
        _settings = settings;
        _acknowledgements = acknowledgements;
        _onError = onError ?? (_ => { });
        _drainTimeout = drainTimeout ?? TimeSpan.FromSeconds(5);
        Shape = new SourceShape<IReadOnlyList<Observation>>(Out);
    }

    /// <summary>Observations, each with its message's position.</summary>
    public Outlet<IReadOnlyList<Observation>> Out { get; } = new("MqttObservationSource.out");

    /// <inheritdoc />
    public override SourceShape<IReadOnlyList<Observation>> Shape { get; }

    /// <inheritdoc />
    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("mqtt-observations");

    /// <inheritdoc />
    public override ILogicAndMaterializedValue<MqttSourceStatus> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var status = new MqttSourceStatus();
        return new LogicAndMaterializedValue<MqttSourceStatus>(new Logic(this, status), status);
    }

    /// <summary>A message's good observations: one, or several in payload order.</summary>
    private readonly record struct Arrival(int Generation, Observation? Single, List<Observation>? Many);

    private sealed class Logic : GraphStageLogic
    {
        private static readonly TimeSpan RoomPoll = TimeSpan.FromMilliseconds(500);
        private readonly MqttObservationSource _stage;
        private readonly MqttSourceStatus _status;
        private readonly TopicMapping _topics;
        private readonly Queue<Arrival> _buffer = new();
        private readonly ConcurrentQueue<Arrival> _arrivals = new(); // from MQTTnet's task to the stage
        private readonly List<Range> _elements = new(); // used under the parser's lock
        private readonly List<ParsedLine> _parsed = new(); // used under the parser's lock
        private const int MaxGroup = 256; // observations a push carries at most (the runtime splits larger groups anyway)
        private int _next; // the next observation of the buffer's head, when it carries many
        private MqttConnection? _connection;
        private Action? _arrived;
        private int _arrivalScheduled;
        private long _lastPosition, _lastEmitted;
        private volatile bool _stopping;
        private readonly JsonlObservations _parser; // interns ids; its lock also gives each message its run of positions

        public Logic(MqttObservationSource stage, MqttSourceStatus status) : base(stage.Shape)
        {
            _stage = stage;
            _status = status;
            _topics = new TopicMapping(stage._settings);
            _parser = new JsonlObservations(stage._settings.Fields);
            SetHandler(stage.Out, onPull: OnPull);
        }

        public override void PreStart()
        {
            var settings = _stage._settings;
            _arrived = GetAsyncCallback(OnArrived);
            var acknowledgements = _stage._acknowledgements;
            var gate = new ReadGate(() => acknowledgements.HasRoom);
            acknowledgements.RoomFreed = gate.Wake;
            _connection = new MqttConnection(settings, "-in", (ushort)settings.ReceiveMaximum, Log, gate);
            _connection.Connecting = generation =>
            {
                acknowledgements.NewConnection(generation);
                return Task.CompletedTask;
            };
            _connection.Connected = SubscribeAsync;
            _connection.Client.ApplicationMessageReceivedAsync += OnMessage;
            _connection.Start();
        }

        public override void PostStop()
        {
            _stopping = true;
            // What was taken but not emitted (buffered, or still on its way here) is left for redelivery.
            _stage._acknowledgements.StopTaking(_lastEmitted);
            _buffer.Clear();
            _ = CloseAsync();
        }

        private async Task CloseAsync()
        {
            try
            {
                await _stage._acknowledgements.WhenDrained().WaitAsync(_stage._drainTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.Warning("MQTT source: {0} messages not done {1} after stop; the broker redelivers them to the next session",
                    _stage._acknowledgements.Unacknowledged, _stage._drainTimeout);
            }

            if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
            _status.OnClosed();
        }

        /// <summary>Subscribes on every connection (a session may be new, or the filter changed); retained
        /// messages only on a new subscription, so a reconnect does not replay them.</summary>
        private async Task SubscribeAsync(MqttClientConnectResult connected)
        {
            var options = new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(filter =>
                {
                    filter.WithTopic(_stage._settings.InputTopic).WithAtLeastOnceQoS();
                    // MQTT 3.1.1 has no retain handling: a broker sends retained messages on every subscribe.
                    if (_stage._settings.ProtocolVersion == MqttProtocol.V5) filter.WithRetainHandling(MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly);
                })
                .Build();
            var result = await _connection!.Client.SubscribeAsync(options).ConfigureAwait(false);
            foreach (var item in result.Items)
            {
                if (item.ResultCode is not (MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
                    throw new InvalidOperationException($"the broker refused the subscription to '{_stage._settings.InputTopic}' with QoS 1: {item.ResultCode}");
            }

            _status.OnSubscribed();
        }

        /// <summary>
        /// On MQTTnet's message task, one message at a time. Takes a message only when fewer than receive-maximum
        /// are unacknowledged: a compliant broker never sends more, and one that does (Mosquitto 2.0.11) is held
        /// off here, so the pipeline never holds more. While it waits for room and the connection is lost, the
        /// message is left unacknowledged for redelivery.
        /// </summary>
        private async Task OnMessage(MqttApplicationMessageReceivedEventArgs message)
        {
            message.AutoAcknowledge = false;
            var acknowledgements = _stage._acknowledgements;
            var room = acknowledgements.WaitForRoom();
            while (!room.IsCompleted)
            {
                if (_stopping || !_connection!.Client.IsConnected) return;
                await Task.WhenAny(room, Task.Delay(RoomPoll)).ConfigureAwait(false);
            }

            if (_stopping) return; // left unacknowledged: redelivered to the next session
            Take(message, _connection!.Generation);
        }

        /// <summary>
        /// Parses the message's observations with the next consecutive positions (an array in one pass, other
        /// payloads element by element; a bad element becomes an error record, the others go on), tracks the
        /// message for acknowledgement and hands the good ones to the stage in one callback. The topic's sequence
        /// id, when the filter names one, wins over an element's <c>seq</c>.
        /// </summary>
        private void Take(MqttApplicationMessageReceivedEventArgs message, int generation)
        {
            var payload = message.ApplicationMessage.Payload;
            byte[]? copy = payload.IsSingleSegment ? null : payload.ToArray();
            ReadOnlySpan<byte> bytes = copy ?? payload.FirstSpan;
            string topic = message.ApplicationMessage.Topic;
            string? sequenceId = _topics.SequenceIdOf(topic);
            Observation? single = null;
            List<Observation>? many = null;
            List<ObservationError>? errors = null;
            long first;
            int count;
            lock (_parser)
            {
                first = _lastPosition + 1;
                string? unreadable = Parse(bytes, first, sequenceId);
                count = _parsed.Count + (unreadable is null ? 0 : 1);
                _lastPosition += count;
                for (int i = 0; i < _parsed.Count; i++)
                {
                    var parsed = _parsed[i];
                    if (parsed.Error is { } error)
                        (errors ??= new()).Add(error with { Reason = count == 1 ? $"topic '{topic}': {error.Reason}" : $"topic '{topic}', element {i}: {error.Reason}" });
                    else if (count == 1) single = parsed.Observation;
                    else (many ??= new List<Observation>(count)).Add(parsed.Observation!);
                }

                if (unreadable is not null) (errors ??= new()).Add(new ObservationError(first + count - 1, sequenceId, $"topic '{topic}': {unreadable}"));
            }

            if (!_stage._acknowledgements.Track(first, count, message, generation)) return;
            if (errors is not null)
            {
                foreach (var error in errors) Reject(error);
            }

            if (single is null && many is null) return;
            _arrivals.Enqueue(new Arrival(generation, single, many));
            if (Interlocked.Exchange(ref _arrivalScheduled, 1) == 0) _arrived!();
        }

        /// <summary>Fills <see cref="_parsed"/> with the payload's records (positions from <paramref name="first"/>);
        /// returns why the rest of an array cannot be read, or null.</summary>
        private string? Parse(ReadOnlySpan<byte> bytes, long first, string? sequenceId)
        {
            if (PayloadElements.IsArray(bytes)) return _parser.ReadArray(bytes, first, sequenceId, _parsed);
            PayloadElements.Find(bytes, _elements);
            _parsed.Clear();
            for (int i = 0; i < _elements.Count; i++) _parsed.Add(_parser.Read(bytes[_elements[i]], first + i, sequenceId));
            return null;
        }

        private void Reject(ObservationError error)
        {
            _stage._onError(error);
            _stage._acknowledgements.Fail(error);
        }

        /// <summary>On the stage's thread, once for every run of messages that arrived meanwhile (not once each).</summary>
        private void OnArrived()
        {
            Volatile.Write(ref _arrivalScheduled, 0);
            while (_arrivals.TryDequeue(out var arrival))
            {
                if (arrival.Generation == _connection!.Generation) _buffer.Enqueue(arrival); // else its connection is gone: redelivered
            }

            if (IsAvailable(_stage.Out)) OnPull();
        }

        /// <summary>Pushes every observation buffered now, up to <see cref="MaxGroup"/>, as one group: the messages
        /// that arrived while downstream was busy cross to the runtime as one element, not one each.</summary>
        private void OnPull()
        {
            List<Observation>? group = null;
            while (_buffer.TryPeek(out var arrival) && (group is null || group.Count < MaxGroup))
            {
                if (arrival.Generation != _connection!.Generation)
                {
                    _buffer.Dequeue();
                    _next = 0;
                    continue;
                }

                group ??= new List<Observation>(Math.Min(MaxGroup, arrival.Many?.Count ?? 16));
                if (arrival.Single is { } single)
                {
                    _buffer.Dequeue();
                    group.Add(single);
                    continue;
                }

                var many = arrival.Many!;
                int take = Math.Min(many.Count - _next, MaxGroup - group.Count);
                for (int i = 0; i < take; i++) group.Add(many[_next + i]);
                _next += take;
                if (_next == many.Count)
                {
                    _buffer.Dequeue();
                    _next = 0;
                }
            }

            if (group is null) return;
            _lastEmitted = group[^1].Position;
            Push(_stage.Out, group);
        }
    }
}

/// <summary>The materialized value of <see cref="MqttObservationSource"/>: its milestones.</summary>
public sealed class MqttSourceStatus
{
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the broker granted the first subscription: from then on, messages published to the
    /// input topics are kept for this client id even while it is disconnected.</summary>
    public Task Subscribed => _subscribed.Task;

    /// <summary>Completes when the source has stopped and its connection has closed.</summary>
    public Task Closed => _closed.Task;

    internal void OnSubscribed() => _subscribed.TrySetResult();

    internal void OnClosed() => _closed.TrySetResult();
}
