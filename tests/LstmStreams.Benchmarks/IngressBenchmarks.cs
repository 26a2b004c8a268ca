using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using LstmStreams.Formats;
using LstmStreams.Pipeline;

namespace LstmStreams.Benchmarks;

/// <summary>
/// What `run` spends per line outside the engine: parsing a JSONL or CSV line of 8 features (as `bench e2e
/// --through run` writes them: an id of 10,000, its t, float32s in their shortest form) from UTF-8 bytes, and
/// formatting a prediction. One operation is one line.
/// </summary>
[MemoryDiagnoser]
public class IngressBenchmarks
{
    private const int Lines = 4096;
    private byte[][] _jsonl = [], _csv = [], _named = [];
    private JsonlObservations _jsonParser = null!, _namedParser = null!;
    private CsvObservations _csvParser = null!;
    private Prediction[] _predictions = [];
    private PredictionWriter _writer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(5);
        string F() => ((float)(random.NextDouble() * 2 - 1)).ToString(CultureInfo.InvariantCulture);
        _jsonl = new byte[Lines][];
        _csv = new byte[Lines][];
        _named = new byte[Lines][];
        for (int i = 0; i < Lines; i++)
        {
            var x = Enumerable.Range(0, 8).Select(_ => F()).ToArray();
            int seq = random.Next(10_000);
            _jsonl[i] = Encoding.UTF8.GetBytes($"{{\"seq\":\"seq/{seq}\",\"t\":{i},\"x\":[{string.Join(',', x)}]}}");
            _csv[i] = Encoding.UTF8.GetBytes($"seq/{seq},{i},{string.Join(',', x)}");
            _named[i] = Encoding.UTF8.GetBytes($"{{\"device\":\"seq/{seq}\",\"ts\":\"2026-12-02T09:00:{i % 60:00}Z\"," + string.Join(',', x.Select((v, j) => $"\"f{j}\":{v}")) + "}");
        }

        _jsonParser = new JsonlObservations();
        _namedParser = new JsonlObservations(new InputFields { SequenceField = "device", TimeField = "ts", Features = Enumerable.Range(0, 8).Select(j => $"f{j}").ToArray() });
        _csvParser = CsvObservations.FromHeader("seq,t,x0,x1,x2,x3,x4,x5,x6,x7");
        _predictions = Enumerable.Range(0, Lines).Select(i => new Prediction($"seq/{i % 10_000}", i, [(float)random.NextDouble()])).ToArray();
        _writer = new PredictionWriter(Stream.Null, OutputFormat.Jsonl, 1, ownsStream: false);
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public int ParseJsonl()
    {
        int n = 0;
        for (int i = 0; i < Lines; i++) n += _jsonParser.Read(_jsonl[i], i + 1).Observation!.Features.Length;
        return n;
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public int ParseJsonNamedFields()
    {
        int n = 0;
        for (int i = 0; i < Lines; i++) n += _namedParser.Read(_named[i], i + 1).Observation!.Features.Length;
        return n;
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public int ParseCsv()
    {
        int n = 0;
        for (int i = 0; i < Lines; i++) n += _csvParser.Read(_csv[i], i + 1).Observation!.Features.Length;
        return n;
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public void FormatJsonl() => _writer.Write(_predictions);
}
