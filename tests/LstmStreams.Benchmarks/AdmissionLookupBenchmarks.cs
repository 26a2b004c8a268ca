using BenchmarkDotNet.Attributes;
using LstmStreams.Compute;
using LstmStreams.Pipeline;
using LstmStreams.Sequences;

namespace LstmStreams.Benchmarks;

/// <summary>
/// The compute stage's admission lookup in isolation: find the open state of each observation of a group of
/// 256 (ids in uniformly random order over all sequences, as in <c>bench e2e</c>) and read its h and c, as the
/// kernel's gather will. One at a time through a <c>Dictionary</c> (the design before), against the
/// <see cref="LeaseTable"/> after the <see cref="GroupPrefetcher"/>'s passes (the design now). One operation
/// is one observation.
/// </summary>
[MemoryDiagnoser]
public class AdmissionLookupBenchmarks
{
    private const int Group = 256, StateFloats = 128; // LSTM, H = 64: h and c
    private readonly Dictionary<string, SequenceState> _dictionary = new(StringComparer.Ordinal);
    private readonly LeaseTable _table = new();
    private GroupPrefetcher _prefetcher = null!;
    private List<Observation>[] _groups = [];
    private int _next;

    [Params(100_000, 1_000_000)]
    public int Sequences { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        var ids = Enumerable.Range(0, Sequences).Select(i => "seq/" + i).ToArray();
        foreach (string id in ids)
        {
            var state = new SequenceState(id, StateFloats);
            _dictionary.Add(id, state);
            _table.Set(state);
        }

        _prefetcher = new GroupPrefetcher(_table, Group);
        var features = new float[8];
        // Enough groups that the states touched do not stay in cache from one operation to the next.
        _groups = Enumerable.Range(0, 4096)
            .Select(_ => Enumerable.Range(0, Group).Select(_ => new Observation(ids[random.Next(Sequences)], features)).ToList())
            .ToArray();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Group)]
    public float Dictionary_one_by_one()
    {
        var group = NextGroup();
        float sum = 0;
        for (int i = 0; i < group.Count; i++)
        {
            var values = _dictionary[group[i].SequenceId].Values;
            sum += values[0] + values[StateFloats - 1];
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Group)]
    public float LeaseTable_prefetched_group()
    {
        var group = NextGroup();
        _prefetcher.Run(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(group));
        float sum = 0;
        for (int i = 0; i < group.Count; i++)
        {
            var values = _table.Find(group[i].SequenceId, _prefetcher.HashOf(i, group[i]))!.Values;
            sum += values[0] + values[StateFloats - 1];
        }

        return sum;
    }

    private List<Observation> NextGroup()
    {
        var group = _groups[_next];
        _next = (_next + 1) % _groups.Length;
        return group;
    }
}
