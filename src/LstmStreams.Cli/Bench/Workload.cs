using System.Diagnostics;
using LstmStreams.Pipeline;

namespace LstmStreams.Cli.Bench;

/// <summary>
/// The synthetic end-to-end workload: <c>sequences</c> ids, every one active, observations in uniformly
/// random order. The order is drawn once (an int per observation) so the runtime and both baselines see the
/// same stream; feature vectors come from a small shared pool.
/// </summary>
internal sealed class Workload
{
    private const int FeaturePool = 4096;

    public Workload(int sequences, int observations, int input, int seed = 11)
    {
        var random = new Random(seed);
        Ids = new string[sequences];
        for (int i = 0; i < sequences; i++) Ids[i] = "seq/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Order = new int[observations];
        for (int i = 0; i < observations; i++) Order[i] = random.Next(sequences);
        Features = new float[FeaturePool][];
        for (int p = 0; p < FeaturePool; p++)
        {
            Features[p] = new float[input];
            for (int j = 0; j < input; j++) Features[p][j] = (float)(random.NextDouble() * 2 - 1);
        }
    }

    public string[] Ids { get; }
    public int[] Order { get; }
    public float[][] Features { get; }

    public float[] FeaturesOf(int index) => Features[index & (FeaturePool - 1)];

    /// <summary>Observations as fast as they are pulled (closed loop).</summary>
    public IEnumerable<Observation> ClosedLoop()
    {
        for (int i = 0; i < Order.Length; i++)
            yield return new Observation(Ids[Order[i]], FeaturesOf(i));
    }

    /// <summary>
    /// Observations at a fixed rate (open loop): observation i is due at start + i/rate and is stamped with
    /// that time, so latency counts any wait behind a slow stream (no coordinated omission).
    /// </summary>
    public IEnumerable<Observation> OpenLoop(double rate)
    {
        long start = Stopwatch.GetTimestamp();
        double ticksPerObservation = Stopwatch.Frequency / rate;
        for (int i = 0; i < Order.Length; i++)
        {
            long due = start + (long)(i * ticksPerObservation);
            long now = Stopwatch.GetTimestamp();
            if (due - now > Stopwatch.Frequency / 500) Thread.Sleep(1);
            while (Stopwatch.GetTimestamp() < due) Thread.SpinWait(20);
            yield return new Observation(Ids[Order[i]], FeaturesOf(i)) { AdmittedTicks = due };
        }
    }
}
