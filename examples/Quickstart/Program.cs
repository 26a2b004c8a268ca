// Streams a JSONL file of interleaved observations through a model with LstmStreams and prints one prediction
// per line as JSONL. Usage: dotnet run -- MODEL INPUT.jsonl [STORE]
//   MODEL  a .safetensors or torch.save .pt file       INPUT  lines like {"seq": "sensor/7", "x": [0.1, 0.2], "t": 17}
//   STORE  optional durable state, e.g. sqlite:state.db: a second run continues every sequence where it stopped
using System.Text.Json;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Core.Import;
using LstmStreams.Persistence;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Quickstart MODEL INPUT.jsonl [STORE]");
    return 2;
}

var model = ModelLoader.Load(args[0]);
var settings = StreamingSettings.Default;
if (args.Length > 2)
    settings = settings with { Persistence = settings.Persistence with { Store = StoreLocation.Parse(args[2]) } };

using var system = ActorSystem.Create("quickstart");
var flow = LstmStream.Create(system, model, settings,
    error => Console.Error.WriteLine($"line {error.Position}: {error.Reason}"));

var observations = File.ReadLines(args[1]).Select((line, index) => Parse(line, index + 1));
await Source.From(observations)
    .Via(flow)
    .RunForeach(p => Console.WriteLine(JsonSerializer.Serialize(new { seq = p.SequenceId, t = p.T, y = p.Y })),
        system.Materializer());
await system.Terminate();
return 0;

static Observation Parse(string line, long position)
{
    using var json = JsonDocument.Parse(line);
    var root = json.RootElement;
    var x = root.GetProperty("x").EnumerateArray().Select(v => v.GetSingle()).ToArray();
    long? t = root.TryGetProperty("t", out var tValue) ? tValue.GetInt64() : null;
    return new Observation(root.GetProperty("seq").GetString()!, x, t, position: position);
}
