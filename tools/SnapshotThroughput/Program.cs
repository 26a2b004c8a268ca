// Snapshot throughput of a store through the SnapshotKeeper (Akka.Persistence.Sql for SQLite/PostgreSQL).
//   dotnet run -c Release -- keeper   STORE [sequences=20000] [rounds=2] [parallelism=8]
//   dotnet run -c Release -- pipeline STORE [sequences=20000] [steps=5]
// keeper: N distinct sequences' states (LSTM, 2 layers, H=64: 256 floats = 1 KiB each) are told to the
// keeper at once, then FlushSequences; snapshots/s = acknowledged writes / (first Tell .. flushed).
// Round 1 inserts rows, later rounds overwrite them. Then N loads at once (restore throughput).
// pipeline: N sequences x S observations (interleaved by step) through LstmStream with snapshot-every = 1;
// the stream's completion waits for the final flush; reports obs/s and the writes the keeper made
// (coalesced: a state replaced before it was written is written once).
using System.Diagnostics;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;
using LstmStreams.Persistence;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

string mode = args.Length > 0 ? args[0] : "keeper";
var store = StoreLocation.Parse(args.Length > 1 ? args[1] : "sqlite:/tmp/snapshot-throughput.db");
int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
int sequences = Arg(2, 20_000);
const int Input = 8, Hidden = 64, Layers = 2;
var shape = new ModelShape(CellKind.Lstm, Input, Enumerable.Repeat(Hidden, Layers).ToArray());
using var system = ActorSystem.Create("snapshot-throughput", StreamingSettings.ReferenceConfig);
Console.WriteLine($"store {store}, {sequences} sequences, state {shape} = {shape.StateSize} floats, {Environment.ProcessorCount} cores");

if (mode == "keeper")
{
    int rounds = Arg(3, 2), parallelism = Arg(4, 8);
    var metrics = new StoreMetrics();
    var keeper = SnapshotStores.StartKeeper(system, new PersistenceSettings { Store = store, Parallelism = parallelism }, metrics, "keeper")!;
    var random = new Random(1);
    SequenceSnapshot State(long count)
    {
        var values = new float[shape.StateSize];
        for (int i = 0; i < values.Length; i++) values[i] = (float)random.NextDouble();
        return new SequenceSnapshot(shape, values, count, 100 + count);
    }

    var forever = TimeSpan.FromMinutes(30);
    keeper.Tell(new SaveSequence("warm-up", State(0))); // creates the table, opens the connection pool
    await keeper.Ask<SequencesFlushed>(FlushSequences.Instance, forever);
    Console.WriteLine($"parallelism {parallelism}");
    for (int round = 1; round <= rounds; round++)
    {
        var states = Enumerable.Range(0, sequences).Select(_ => State(round)).ToArray(); // made before the clock starts
        long written = metrics.Written, failures = metrics.Failures;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < sequences; i++) keeper.Tell(new SaveSequence($"sensor/{i}", states[i]));
        await keeper.Ask<SequencesFlushed>(FlushSequences.Instance, forever);
        double seconds = clock.Elapsed.TotalSeconds;
        long n = metrics.Written - written;
        Console.WriteLine($"round {round} ({(round == 1 ? "new rows" : "overwrite")}): {n} snapshots in {seconds:F2} s = {n / seconds:F0} snapshots/s, failures {metrics.Failures - failures}");
    }

    {
        long loads = metrics.Loads;
        var clock = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, sequences).Select(i => keeper.Ask<SequenceLoaded>(new LoadSequence($"sensor/{i}"), forever)));
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"loads: {metrics.Loads - loads} in {seconds:F2} s = {(metrics.Loads - loads) / seconds:F0} loads/s, found {answers.Count(a => a.Snapshot is not null)}");
    }
}
else
{
    int steps = Arg(3, 5);
    var random = new Random(2);
    float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5) * 0.2f).ToArray();
    var layers = Enumerable.Range(0, Layers).Select(k =>
    {
        int width = k == 0 ? Input : Hidden;
        return new RecurrentLayer(CellKind.Lstm, width, Hidden, Values(4 * Hidden * width), Values(4 * Hidden * Hidden), Values(4 * Hidden), Values(4 * Hidden));
    }).ToList();
    var model = new RecurrentModel(CellKind.Lstm, layers, new OutputHead(Values(Hidden), Values(1), Hidden, HeadActivation.Sigmoid));
    var features = Values(Input);
    var observations = Enumerable.Range(0, steps).SelectMany(step => Enumerable.Range(0, sequences).Select(s => new Observation($"sensor/{s}", features, 100 + step))).ToList();
    var settings = StreamingSettings.Default with
    {
        Kernel = KernelBackend.Managed,
        Persistence = new PersistenceSettings { Store = store, SnapshotEvery = 1 },
    };
    var clock = Stopwatch.StartNew();
    var (metrics, done) = Source.From(observations)
        .ViaMaterialized(LstmStream.Create(system, model, settings), Keep.Right)
        .ToMaterialized(Sink.Ignore<Prediction>(), Keep.Both)
        .Run(system.Materializer());
    double computed = 0;
    while (!done.IsCompleted)
    {
        await Task.WhenAny(done, Task.Delay(20));
        if (computed == 0 && metrics.Emitted == observations.Count) computed = clock.Elapsed.TotalSeconds;
    }

    await done;
    double seconds = clock.Elapsed.TotalSeconds;
    var store2 = metrics.Store;
    Console.WriteLine($"{observations.Count} observations ({steps} per sequence), snapshot-every 1: all computed after {computed:F2} s, completed (flushed) after {seconds:F2} s");
    Console.WriteLine($"  {observations.Count / seconds:F0} obs/s end to end; {store2.Written} snapshots written = {store2.Written / seconds:F0} snapshots/s; loads {store2.Loads}, failures {store2.Failures}");
}

await system.Terminate();
