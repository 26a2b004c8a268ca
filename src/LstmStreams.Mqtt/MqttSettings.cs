using System.Reflection;
using Akka.Configuration;

namespace LstmStreams.Mqtt;

/// <summary>Where an input message's sequence id comes from.</summary>
public enum SequenceIdFrom
{
    /// <summary>The one <c>+</c> level of the input topic filter (<c>sensors/+/obs</c>).</summary>
    Topic,

    /// <summary>The payload's <c>seq</c> field.</summary>
    Payload,
}

/// <summary>The MQTT protocol version both connections speak.</summary>
public enum MqttProtocol
{
    /// <summary>MQTT 5: receive-maximum flow control, session expiry, reason codes in PUBACK.</summary>
    V5,

    /// <summary>MQTT 3.1.1: no receive-maximum (the broker's own in-flight limit applies), clean session off
    /// instead of session expiry, a PUBACK without a reason code.</summary>
    V311,
}

/// <summary>
/// The MQTT source and sink settings, read once from the <c>lstm-streams.mqtt</c> HOCON section (every key
/// is documented in the project's embedded reference.conf). <see cref="ToString"/> never shows the password.
/// </summary>
public sealed record MqttSettings
{
    /// <summary>Environment variable that overrides <see cref="Username"/>.</summary>
    public const string UsernameVariable = "LSTM_STREAMS_MQTT_USERNAME";

    /// <summary>Environment variable that overrides <see cref="Password"/>.</summary>
    public const string PasswordVariable = "LSTM_STREAMS_MQTT_PASSWORD";

    /// <summary>Broker host.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Broker port.</summary>
    public int Port { get; init; } = 1883;

    /// <summary>Connect with TLS.</summary>
    public bool Tls { get; init; }

    /// <summary>A PEM file of the certificate authorities to trust (TLS); empty for the system's store.</summary>
    public string TlsCaFile { get; init; } = "";

    /// <summary>Accept a server certificate that does not validate (test brokers only).</summary>
    public bool TlsAllowUntrusted { get; init; }

    /// <summary>User name; empty for none.</summary>
    public string Username { get; init; } = "";

    /// <summary>Password; empty for none. Never logged.</summary>
    public string Password { get; init; } = "";

    /// <summary>Client id prefix: the source connects as <c>{ClientId}-in</c>, the sink as <c>{ClientId}-out</c>.</summary>
    public string ClientId { get; init; } = "lstm-streams";

    /// <summary>How long the broker keeps the session after a disconnect.</summary>
    public TimeSpan SessionExpiry { get; init; } = TimeSpan.FromHours(1);

    /// <summary>MQTT keep-alive period.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Timeout of one connection attempt.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First reconnection delay; doubles up to <see cref="ReconnectMaxBackoff"/>.</summary>
    public TimeSpan ReconnectMinBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest reconnection delay.</summary>
    public TimeSpan ReconnectMaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The input topic filter.</summary>
    public string InputTopic { get; init; } = "sensors/+/obs";

    /// <summary>Where the sequence id comes from.</summary>
    public SequenceIdFrom SequenceFrom { get; init; } = SequenceIdFrom.Topic;

    /// <summary>How a payload's fields are read: the id and time fields, named features, ISO-8601 times
    /// (<c>lstm-streams.input</c>; a topic's sequence id still wins over the id field).</summary>
    public Formats.InputFields Fields { get; init; } = Formats.InputFields.Default;

    /// <summary>The output topic template, <c>{seq}</c> replaced by the sequence id.</summary>
    public string OutputTopic { get; init; } = "sensors/{seq}/pred";

    /// <summary>Topic for error records; empty for none.</summary>
    public string ErrorTopic { get; init; } = "";

    /// <summary>MQTT 5 receive-maximum of the input connection: the most unacknowledged input messages held.</summary>
    public int ReceiveMaximum { get; init; } = 1000;

    /// <summary>Predictions published and not yet acknowledged by the broker.</summary>
    public int MaxPublishesInFlight { get; init; } = 1000;

    /// <summary>Predictions collected per output topic into one message (a JSON array); 1 publishes each alone.</summary>
    public int OutputBatch { get; init; } = 1;

    /// <summary>How long an output batch waits for more predictions before it is published part-full.</summary>
    public TimeSpan OutputLinger { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The MQTT protocol version.</summary>
    public MqttProtocol ProtocolVersion { get; init; } = MqttProtocol.V5;

    /// <summary>The embedded reference.conf: every key with its default.</summary>
    public static Config ReferenceConfig { get; } = LoadReference();

    /// <summary>The defaults (credentials from the environment when set).</summary>
    public static MqttSettings Default => FromConfig(ReferenceConfig);

    /// <summary>
    /// Reads the <c>lstm-streams.mqtt</c> section of <paramref name="config"/> (reference defaults beneath);
    /// <see cref="UsernameVariable"/> and <see cref="PasswordVariable"/> override the credentials when set.
    /// </summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the key.</exception>
    public static MqttSettings FromConfig(Config config)
    {
        var merged = ReferenceEquals(config, ReferenceConfig) ? config : config.WithFallback(ReferenceConfig);
        var section = merged.GetConfig("lstm-streams.mqtt");
        var settings = new MqttSettings
        {
            Host = section.GetString("host"),
            Port = section.GetInt("port"),
            Tls = section.GetBoolean("tls"),
            TlsCaFile = section.GetString("tls-ca-file") ?? "",
            TlsAllowUntrusted = section.GetBoolean("tls-allow-untrusted"),
            Username = Environment.GetEnvironmentVariable(UsernameVariable) is { Length: > 0 } user ? user : section.GetString("username") ?? "",
            Password = Environment.GetEnvironmentVariable(PasswordVariable) is { Length: > 0 } password ? password : section.GetString("password") ?? "",
            ClientId = section.GetString("client-id"),
            SessionExpiry = section.GetTimeSpan("session-expiry"),
            KeepAlive = section.GetTimeSpan("keep-alive"),
            ConnectTimeout = section.GetTimeSpan("connect-timeout"),
            ReconnectMinBackoff = section.GetTimeSpan("reconnect-min-backoff"),
            ReconnectMaxBackoff = section.GetTimeSpan("reconnect-max-backoff"),
            Fields = Formats.InputFields.FromConfig(merged),
            InputTopic = section.GetString("input-topic"),
            SequenceFrom = section.GetString("sequence-from").Trim().ToLowerInvariant() switch
            {
                "topic" => SequenceIdFrom.Topic,
                "payload" => SequenceIdFrom.Payload,
                var other => throw new ArgumentException($"lstm-streams.mqtt.sequence-from = \"{other}\": use \"topic\" or \"payload\"."),
            },
            OutputTopic = section.GetString("output-topic"),
            ErrorTopic = section.GetString("error-topic") ?? "",
            ReceiveMaximum = section.GetInt("receive-maximum"),
            MaxPublishesInFlight = section.GetInt("max-publishes-in-flight"),
            OutputBatch = section.GetInt("output-batch"),
            OutputLinger = section.GetTimeSpan("output-linger"),
            ProtocolVersion = section.GetString("protocol-version").Trim() switch
            {
                "5" or "5.0" => MqttProtocol.V5,
                "3.1.1" => MqttProtocol.V311,
                var other => throw new ArgumentException($"lstm-streams.mqtt.protocol-version = \"{other}\": use \"5\" or \"3.1.1\"."),
            },
        };
        settings.Validate();
        return settings;
    }

    /// <summary>Checks every value; the message names the HOCON key and the fix.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
            throw new ArgumentException("lstm-streams.mqtt.host is empty: name the broker (e.g. \"127.0.0.1\").");
        if (Port is < 1 or > 65535)
            throw new ArgumentException($"lstm-streams.mqtt.port = {Port}: must be 1..65535.");
        if (string.IsNullOrWhiteSpace(ClientId))
            throw new ArgumentException("lstm-streams.mqtt.client-id is empty: the persistent session needs a stable id.");
        if (SessionExpiry < TimeSpan.FromSeconds(1) || SessionExpiry.TotalSeconds > uint.MaxValue)
            throw new ArgumentException($"lstm-streams.mqtt.session-expiry = {SessionExpiry}: must be at least 1s (the session must outlive a restart).");
        if (KeepAlive < TimeSpan.Zero || KeepAlive.TotalSeconds > ushort.MaxValue)
            throw new ArgumentException($"lstm-streams.mqtt.keep-alive = {KeepAlive}: must be 0..65535 s.");
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"lstm-streams.mqtt.connect-timeout = {ConnectTimeout}: must be positive.");
        if (ReconnectMinBackoff <= TimeSpan.Zero || ReconnectMaxBackoff < ReconnectMinBackoff)
            throw new ArgumentException($"lstm-streams.mqtt.reconnect-min-backoff = {ReconnectMinBackoff}, reconnect-max-backoff = {ReconnectMaxBackoff}: need 0 < min <= max.");
        if (ReceiveMaximum is < 1 or > ushort.MaxValue)
            throw new ArgumentException($"lstm-streams.mqtt.receive-maximum = {ReceiveMaximum}: must be 1..65535.");
        if (MaxPublishesInFlight < 1)
            throw new ArgumentException($"lstm-streams.mqtt.max-publishes-in-flight = {MaxPublishesInFlight}: must be at least 1.");
        if (OutputBatch is < 1 or > 65535)
            throw new ArgumentException($"lstm-streams.mqtt.output-batch = {OutputBatch}: must be 1..65535 (1 publishes each prediction alone).");
        if (OutputLinger <= TimeSpan.Zero || OutputLinger > TimeSpan.FromMinutes(1))
            throw new ArgumentException($"lstm-streams.mqtt.output-linger = {OutputLinger}: must be above 0 and at most 1 minute (e.g. 5ms).");
        if (!Enum.IsDefined(ProtocolVersion))
            throw new ArgumentException($"lstm-streams.mqtt.protocol-version = {ProtocolVersion}: use \"5\" or \"3.1.1\".");
        if (Tls is false && (TlsAllowUntrusted || TlsCaFile.Length > 0))
            throw new ArgumentException("lstm-streams.mqtt.tls-ca-file / tls-allow-untrusted are set but tls = off: turn tls on (or use an mqtts:// address).");
        if (TlsCaFile.Length > 0 && !File.Exists(TlsCaFile))
            throw new ArgumentException($"lstm-streams.mqtt.tls-ca-file = \"{TlsCaFile}\" does not exist.");
        TopicMapping.Validate(this);
    }

    /// <summary>The settings without the password (which is shown as *** when set).</summary>
    public override string ToString() =>
        $"MqttSettings {{ Broker = {(Tls ? "mqtts" : "mqtt")}://{Host}:{Port}, ClientId = {ClientId}, Username = {(Username.Length > 0 ? Username : "(none)")}, " +
        $"Password = {(Password.Length > 0 ? "***" : "(none)")}, InputTopic = {InputTopic}, SequenceFrom = {SequenceFrom}, OutputTopic = {OutputTopic}, " +
        $"ErrorTopic = {ErrorTopic}, ReceiveMaximum = {ReceiveMaximum}, MaxPublishesInFlight = {MaxPublishesInFlight}, " +
        $"OutputBatch = {OutputBatch}, OutputLinger = {OutputLinger.TotalMilliseconds}ms, ProtocolVersion = {(ProtocolVersion == MqttProtocol.V5 ? "5" : "3.1.1")} }}";

    private static Config LoadReference()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("LstmStreams.Mqtt.reference.conf")
            ?? throw new InvalidOperationException("the embedded reference.conf is missing from the LstmStreams.Mqtt assembly.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
