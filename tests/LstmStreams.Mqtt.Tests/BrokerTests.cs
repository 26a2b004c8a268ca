using Akka.Actor;
using LstmStreams.Core.Import;
using LstmStreams.Core.Model;
using LstmStreams.Settings;

namespace LstmStreams.Mqtt.Tests;

/// <summary>What the tests against a real broker share: a throw-away Mosquitto, an actor system, the PyTorch
/// fixture model and its interleaved sequences, and client settings that reconnect quickly.</summary>
public abstract class BrokerTests(string systemName) : IDisposable
{
    protected static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    protected static readonly StreamingSettings Streaming = StreamingSettings.Default with { MaxBatchSize = 16, MaxInFlight = 256 };
    protected readonly MosquittoBroker _broker = new();
    protected readonly ActorSystem _system = ActorSystem.Create(systemName, "akka.loglevel = WARNING");
    protected readonly RecurrentModel _model = ModelLoader.Load(Path.Combine(Fixtures, "lstm_2l_head_sigmoid.safetensors"));

    public virtual void Dispose()
    {
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
        _broker.Dispose();
        GC.SuppressFinalize(this);
    }

    protected MqttSettings Settings(string name) => new()
    {
        Port = _broker.Port,
        ClientId = "lstm-" + name,
        ReceiveMaximum = 100,
        MaxPublishesInFlight = 100,
        ReconnectMaxBackoff = TimeSpan.FromMilliseconds(500),
    };

    protected static string[] InterleavedLines() => File.ReadAllLines(Path.Combine(Fixtures, "interleaved.jsonl"));

    protected static Dictionary<string, List<(long T, float[] Y)>> InterleavedExpected() =>
        LstmStreams.Tests.Shared.PredictionFiles.Read(Path.Combine(Fixtures, "interleaved_expected.jsonl"));
}
