using System.Diagnostics;

namespace LstmStreams.Pipeline;

/// <summary>
/// Live counters of one materialized pipeline (the Flow's materialized value). Written by the compute
/// stage's thread, readable from any thread (progress displays, tests, benchmarks).
/// </summary>
public sealed class PipelineMetrics
{
    private const int LatencyBuckets = 64;
    private readonly long[] _batchSizes;
    private readonly long[] _latency = new long[LatencyBuckets]; // bucket k: latency in [2^(k/2), 2^((k+1)/2)) µs
    private long _admitted, _emitted, _rejected, _duplicates, _batches, _inFlight, _maxInFlight;
    private int _liveSequences;

    internal PipelineMetrics(int maxBatchSize) => _batchSizes = new long[maxBatchSize + 1];

    /// <summary>Observations admitted (valid, counted in flight).</summary>
    public long Admitted => Volatile.Read(ref _admitted);

    /// <summary>Predictions emitted downstream.</summary>
    public long Emitted => Volatile.Read(ref _emitted);

    /// <summary>Inputs rejected with an error record.</summary>
    public long Rejected => Volatile.Read(ref _rejected);

    /// <summary>Replayed observations dropped (an explicit t not after the sequence's last accepted t);
    /// each is also counted in <see cref="Rejected"/>.</summary>
    public long Duplicates => Volatile.Read(ref _duplicates);

    /// <summary>What the snapshot store has done (all zeros without a store).</summary>
    public Persistence.StoreMetrics Store { get; } = new();

    /// <summary>Kernel calls.</summary>
    public long Batches => Volatile.Read(ref _batches);

    /// <summary>Observations admitted and not yet emitted, now.</summary>
    public long InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The largest <see cref="InFlight"/> ever seen (never above max-in-flight).</summary>
    public long MaxInFlightSeen => Volatile.Read(ref _maxInFlight);

    /// <summary>Sequences with a live actor.</summary>
    public int LiveSequences => Volatile.Read(ref _liveSequences);

    /// <summary>Mean sequences per kernel call.</summary>
    public double MeanBatchSize
    {
        get
        {
            long batches = Batches;
            return batches == 0 ? 0 : (double)StepsInBatches() / batches;
        }
    }

    /// <summary>The batch size at quantile <paramref name="q"/> (0..1) over all kernel calls.</summary>
    public int BatchSizeQuantile(double q)
    {
        long total = 0;
        for (int size = 0; size < _batchSizes.Length; size++) total += Volatile.Read(ref _batchSizes[size]);
        if (total == 0) return 0;
        long rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (int size = 0; size < _batchSizes.Length; size++)
        {
            seen += Volatile.Read(ref _batchSizes[size]);
            if (seen >= Math.Max(rank, 1)) return size;
        }

        return _batchSizes.Length - 1;
    }

    /// <summary>Admission-to-emission latency at quantile <paramref name="q"/>, from a log histogram (±19%).</summary>
    public TimeSpan LatencyQuantile(double q)
    {
        long total = 0;
        for (int k = 0; k < LatencyBuckets; k++) total += Volatile.Read(ref _latency[k]);
        if (total == 0) return TimeSpan.Zero;
        long rank = Math.Max(1, (long)Math.Ceiling(q * total));
        long seen = 0;
        for (int k = 0; k < LatencyBuckets; k++)
        {
            seen += Volatile.Read(ref _latency[k]);
            if (seen >= rank) return TimeSpan.FromMicroseconds(Math.Pow(2, (k + 0.5) / 2));
        }

        return TimeSpan.MaxValue;
    }

    /// <summary>The latency histogram: (upper bound, count) per non-empty log bucket (√2 apart).</summary>
    public IReadOnlyList<(TimeSpan UpperBound, long Count)> LatencyHistogram()
    {
        var buckets = new List<(TimeSpan, long)>();
        for (int k = 0; k < LatencyBuckets; k++)
        {
            long count = Volatile.Read(ref _latency[k]);
            if (count > 0) buckets.Add((TimeSpan.FromMicroseconds(Math.Pow(2, (k + 1) / 2.0)), count));
        }

        return buckets;
    }

    /// <summary>Clears the batch-size and latency distributions (a benchmark's warm-up). Call only while the
    /// pipeline is empty: the stage writes them without locks.</summary>
    internal void ResetDistributions()
    {
        Array.Clear(_batchSizes);
        Array.Clear(_latency);
        Interlocked.MemoryBarrier();
    }

    internal void OnAdmitted()
    {
        Volatile.Write(ref _admitted, _admitted + 1);
        long inFlight = _inFlight + 1;
        Volatile.Write(ref _inFlight, inFlight);
        if (inFlight > _maxInFlight) Volatile.Write(ref _maxInFlight, inFlight);
    }

    internal void OnRejected() => Volatile.Write(ref _rejected, _rejected + 1);

    /// <summary>An admitted observation was rejected after admission (a duplicate, a refused sequence).</summary>
    internal void OnRejectedInFlight(ObservationErrorKind kind)
    {
        Volatile.Write(ref _rejected, _rejected + 1);
        Volatile.Write(ref _inFlight, _inFlight - 1);
        if (kind == ObservationErrorKind.Duplicate) Volatile.Write(ref _duplicates, _duplicates + 1);
    }

    internal void OnBatch(int size)
    {
        Volatile.Write(ref _batches, _batches + 1);
        Volatile.Write(ref _batchSizes[size], _batchSizes[size] + 1);
    }

    internal void OnEmitted(long admittedTicks, long nowTicks)
    {
        Volatile.Write(ref _emitted, _emitted + 1);
        Volatile.Write(ref _inFlight, _inFlight - 1);
        double micros = Stopwatch.GetElapsedTime(admittedTicks, nowTicks).TotalMicroseconds;
        int bucket = micros <= 1 ? 0 : Math.Min(LatencyBuckets - 1, (int)(2 * Math.Log2(micros)));
        _latency[bucket]++;
    }

    internal void SetLiveSequences(int live) => Volatile.Write(ref _liveSequences, live);

    private long StepsInBatches()
    {
        long steps = 0;
        for (int size = 1; size < _batchSizes.Length; size++) steps += size * Volatile.Read(ref _batchSizes[size]);
        return steps;
    }
}
