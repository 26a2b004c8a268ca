using System.Net;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using MQTTnet;
using MQTTnet.Formatter;

namespace LstmStreams.Mqtt;

/// <summary>
/// One MQTT 5 (or 3.1.1) client connection that stays up: a persistent session (clean start off, a stable client
/// id, session expiry under 5), QoS 1 by the callers, and reconnection with exponential backoff after a lost or refused
/// connection. Each connection attempt starts a new <see cref="Generation"/>: acknowledgements belong to the
/// generation whose messages they answer and are never sent on a later one.
/// </summary>
internal sealed class MqttConnection : IAsyncDisposable
{
    private readonly MqttSettings _settings;
    private readonly MqttClientOptions _options;
    private readonly ILoggingAdapter _log;
    private readonly string _clientId;
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _lost = NewSignal();
    private Task? _loop;
    private int _generation;

    /// <summary>Creates the connection (not yet started).</summary>
    /// <param name="settings">Broker, credentials, TLS, session and backoff.</param>
    /// <param name="clientIdSuffix">Appended to the client id prefix: "-in" or "-out".</param>
    /// <param name="receiveMaximum">MQTT 5 receive-maximum to ask for (the most unacknowledged messages the
    /// broker may send us).</param>
    /// <param name="log">Where connection changes are logged (never the password).</param>
    /// <param name="readGate">Reads the socket only while it allows (plain TCP only); null to read freely.</param>
    public MqttConnection(MqttSettings settings, string clientIdSuffix, ushort receiveMaximum, ILoggingAdapter log, ReadGate? readGate = null)
    {
        _settings = settings;
        _log = log;
        _clientId = settings.ClientId + clientIdSuffix;
        var builder = new MqttClientOptionsBuilder();
        builder = readGate is not null && !settings.Tls
            ? builder.WithEndPoint(new DnsEndPoint(settings.Host, settings.Port)).WithTcpServer(tcp => tcp.StreamProvider = readGate)
            : builder.WithTcpServer(settings.Host, settings.Port);
        builder = builder
            .WithClientId(_clientId)
            .WithCleanStart(false) // MQTT 3.1.1: clean session off
            .WithKeepAlivePeriod(settings.KeepAlive)
            .WithTimeout(settings.ConnectTimeout);
        builder = settings.ProtocolVersion == MqttProtocol.V5
            ? builder.WithProtocolVersion(MqttProtocolVersion.V500)
                .WithSessionExpiryInterval((uint)settings.SessionExpiry.TotalSeconds)
                .WithReceiveMaximum(receiveMaximum)
            : builder.WithProtocolVersion(MqttProtocolVersion.V311); // no session expiry, no receive-maximum
        if (settings.Username.Length > 0) builder = builder.WithCredentials(settings.Username, settings.Password);
        if (settings.Tls)
        {
            builder = builder.WithTlsOptions(tls =>
            {
                tls.UseTls().WithTargetHost(settings.Host).WithAllowUntrustedCertificates(settings.TlsAllowUntrusted)
                    .WithIgnoreCertificateChainErrors(settings.TlsAllowUntrusted);
                if (settings.TlsAllowUntrusted) tls.WithCertificateValidationHandler(_ => true);
                if (settings.TlsCaFile.Length > 0)
                {
                    var authorities = new X509Certificate2Collection();
                    authorities.ImportFromPemFile(settings.TlsCaFile);
                    tls.WithTrustChain(authorities);
                }
            });
        }

        _options = builder.Build();
        Client = new MqttClientFactory().CreateMqttClient();
        Client.ConnectingAsync += _ =>
        {
            int generation = Interlocked.Increment(ref _generation);
            return Connecting is null ? Task.CompletedTask : Connecting(generation);
        };
        Client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected) _lost.TrySetResult();
            return Task.CompletedTask;
        };
    }

    /// <summary>The MQTTnet client: publish and acknowledge through it while connected.</summary>
    public IMqttClient Client { get; }

    /// <summary>The current connection attempt (1 for the first).</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>Called with the new generation before a connection attempt sends CONNECT (so that no message of
    /// it can arrive before); on MQTTnet's thread.</summary>
    public Func<int, Task>? Connecting { get; set; }

    /// <summary>Called when a connection is up, with the broker's answer (session present, its receive-maximum):
    /// subscribe here when the session is new. An exception drops the connection and retries.</summary>
    public Func<MqttClientConnectResult, Task>? Connected { get; set; }

    /// <summary>Called when an established connection is lost (or closed).</summary>
    public Action? Disconnected { get; set; }

    /// <summary>"mqtt://host:port as client-id", for messages.</summary>
    public string Describe() => $"{(_settings.Tls ? "mqtts" : "mqtt")}://{_settings.Host}:{_settings.Port} as {_clientId}";

    /// <summary>Starts connecting in the background; retries until disposed.</summary>
    public void Start() => _loop = Task.Run(KeepConnectedAsync);

    /// <summary>Stops reconnecting and disconnects, keeping the session at the broker.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (Client.IsConnected)
        {
            try
            {
                // The session outlives the connection: say so again, or a broker may take a 0 in DISCONNECT.
                var options = _settings.ProtocolVersion == MqttProtocol.V5
                    ? new MqttClientDisconnectOptionsBuilder().WithSessionExpiryInterval((uint)_settings.SessionExpiry.TotalSeconds).Build()
                    : new MqttClientDisconnectOptions();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await Client.DisconnectAsync(options, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.Debug("MQTT {0}: disconnect was not clean ({1})", Describe(), e.Message);
            }
        }

        Client.Dispose();
        _stop.Dispose();
    }

    private async Task KeepConnectedAsync()
    {
        var token = _stop.Token;
        var backoff = _settings.ReconnectMinBackoff;
        bool wasUp = false;
        string? lastFailure = null;
        while (!token.IsCancellationRequested)
        {
            try
            {
                _lost = NewSignal();
                var result = await Client.ConnectAsync(_options, token).ConfigureAwait(false);
                if (result.ResultCode != MqttClientConnectResultCode.Success)
                    throw new InvalidOperationException($"the broker refused the connection: {result.ResultCode} {result.ReasonString}".TrimEnd());
                if (Connected is not null) await Connected(result).ConfigureAwait(false);
                if (wasUp || lastFailure is not null) _log.Info("MQTT {0}: connected (session present: {1})", Describe(), result.IsSessionPresent);
                wasUp = true;
                lastFailure = null;
                backoff = _settings.ReconnectMinBackoff;
                await _lost.Task.WaitAsync(token).ConfigureAwait(false);
                Disconnected?.Invoke();
                _log.Warning("MQTT {0}: connection lost; reconnecting", Describe());
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                if (Client.IsConnected)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    try
                    {
                        await Client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
                    }
                    catch (Exception) when (!token.IsCancellationRequested)
                    {
                    }
                }

                string message = e.InnerException is { } inner && e is not InvalidOperationException ? $"{e.Message} ({inner.Message})" : e.Message;
                if (message != lastFailure)
                    _log.Warning("MQTT {0}: cannot connect: {1}; retrying with backoff up to {2}", Describe(), message, _settings.ReconnectMaxBackoff);
                lastFailure = message;
            }

            try
            {
                await Task.Delay(backoff, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _settings.ReconnectMaxBackoff.Ticks));
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
