using System.Diagnostics;

namespace LstmStreams.Pipeline;

/// <summary>
/// Live counters of one materialized pipeline (the Flow's materialized value). Written by the compute
/// stage's thread, readable from any thread (progress displays, tests, benchmarks).
/// </summary>
public sealed class PipelineMetrics
{
    // Latency in whole microseconds, in a log-linear histogram: 8 buckets per power of two (±6% at most,
    // about ±3% at the bucket's middle), found with integer operations only (this runs once per prediction).
    private const int SubBuckets = 8, SubBits = 3, LatencyBuckets = 64 * SubBuckets;
    private readonly long[] _batchSizes;
    private static readonly double MicrosPerTick = 1e6 / Stopwatch.Frequency;
    private readonly long[] _latency = new long[LatencyBuckets];
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
            // Both from the batch-size histogram: after ResetDistributions (a benchmark's warm-up), Batches
            // still counts the earlier kernel calls and would understate the mean.
            long batches = 0, steps = 0;
            for (int size = 1; size < _batchSizes.Length; size++)
            {
                long count = Volatile.Read(ref _batchSizes[size]);
                batches += count;
                steps += size * count;
            }

            return batches == 0 ? 0 : (double)steps / batches;
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

    /// <summary>Admission-to-emission latency at quantile <paramref name="q"/>: the middle of the histogram
    /// bucket it falls in (buckets are 1/8 of a power of two wide: within ±6%).</summary>
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
            if (seen >= rank) return TimeSpan.FromMicroseconds((LowerBoundMicros(k) + LowerBoundMicros(k + 1)) / 2.0);
        }

        return TimeSpan.MaxValue;
    }

    /// <summary>The latency histogram, for display: (upper bound, count) per non-empty half of a power of two
    /// (upper bounds 4, 8, 12, 16, 24, 32, 48, … µs).</summary>
    public IReadOnlyList<(TimeSpan UpperBound, long Count)> LatencyHistogram()
    {
        var buckets = new List<(TimeSpan, long)>();
        for (int k = 0; k < LatencyBuckets; k += SubBuckets / 2)
        {
            long count = 0;
            for (int j = k; j < k + SubBuckets / 2; j++) count += Volatile.Read(ref _latency[j]);
            if (count > 0) buckets.Add((TimeSpan.FromMicroseconds(LowerBoundMicros(k + SubBuckets / 2)), count));
        }

        return buckets;
    }

    /// <summary>The bucket of a latency of <paramref name="micros"/> µs: below 8 µs one per µs; above, the
    /// power of two and the next three bits below it.</summary>
    internal static int LatencyBucketOf(long micros)
    {
        if (micros < SubBuckets) return (int)Math.Max(0, micros);
        int exponent = System.Numerics.BitOperations.Log2((ulong)micros); // >= SubBits
        int sub = (int)(micros >> (exponent - SubBits)) & (SubBuckets - 1);
        return Math.Min(LatencyBuckets - 1, (exponent - SubBits + 1) * SubBuckets + sub);
    }

    /// <summary>The smallest latency (µs) that falls in bucket <paramref name="bucket"/>.</summary>
    internal static double LowerBoundMicros(int bucket)
    {
        if (bucket < SubBuckets) return bucket;
        int exponent = bucket / SubBuckets + SubBits - 1, sub = bucket % SubBuckets;
        return (double)(SubBuckets + sub) * Math.Pow(2, exponent - SubBits);
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
        _latency[LatencyBucketOf((long)((nowTicks - admittedTicks) * MicrosPerTick))]++;
    }

    internal void SetLiveSequences(int live) => Volatile.Write(ref _liveSequences, live);
}
