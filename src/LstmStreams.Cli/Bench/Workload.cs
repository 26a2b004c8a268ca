using System.Diagnostics;
using LstmStreams.Pipeline;

namespace LstmStreams.Cli.Bench;

/// <summary>
/// The synthetic end-to-end workload: <c>sequences</c> ids, observations in uniformly random order over the
/// <c>active</c> ids of a window that slides from the first ids to the last over the run (all of them when
/// active = sequences: every sequence active throughout; fewer: sequences come and go, as a fleet's do over
/// months). The order is drawn once (an int per observation) so the runtime and both baselines see the same
/// stream; feature vectors come from a small shared pool.
/// </summary>
internal sealed class Workload
{
    private const int FeaturePool = 4096;

    public Workload(int sequences, int observations, int input, int? active = null, int seed = 11)
    {
        Active = Math.Clamp(active ?? sequences, 1, sequences);
        var random = new Random(seed);
        Ids = new string[sequences];
        for (int i = 0; i < sequences; i++) Ids[i] = "seq/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Order = new int[observations];
        for (int i = 0; i < observations; i++)
            Order[i] = (int)((long)i * (sequences - Active) / observations) + random.Next(Active);
        Features = new float[FeaturePool][];
        for (int p = 0; p < FeaturePool; p++)
        {
            Features[p] = new float[input];
            for (int j = 0; j < input; j++) Features[p][j] = (float)(random.NextDouble() * 2 - 1);
        }
    }

    public string[] Ids { get; }
    public int Active { get; }
    public int[] Order { get; }
    public float[][] Features { get; }

    public float[] FeaturesOf(int index) => Features[index & (FeaturePool - 1)];

    /// <summary>One observation of every sequence, in id order: creates every sequence actor (warm-up).</summary>
    public IEnumerable<Observation> WarmUp()
    {
        for (int i = 0; i < Ids.Length; i++)
            yield return new Observation(Ids[i], FeaturesOf(i));
    }

    /// <summary>Observations as fast as they are pulled (closed loop).</summary>
    public IEnumerable<Observation> ClosedLoop()
    {
        for (int i = 0; i < Order.Length; i++)
            yield return new Observation(Ids[Order[i]], FeaturesOf(i));
    }

    /// <summary>
    /// Observations at a fixed rate (open loop): observation i is due at start + i/rate and is stamped with
    /// that time, so latency counts any wait behind a slow stream (no coordinated omission). The generator
    /// sleeps until the next observation is due and then yields every observation due by now as one burst (at
    /// most 1024), as a network source hands over what one read brought. The clock starts once
    /// <paramref name="startAfter"/> has completed (the warm-up).
    /// </summary>
    public IEnumerable<List<Observation>> OpenLoop(double rate, Task startAfter)
    {
        startAfter.Wait();
        long start = Stopwatch.GetTimestamp();
        double ticksPerObservation = Stopwatch.Frequency / rate;
        for (int i = 0; i < Order.Length;)
        {
            long now = Stopwatch.GetTimestamp();
            long due = start + (long)(i * ticksPerObservation);
            if (now < due)
            {
                // Wait without spinning a core away from the pipeline: sleep when more than 0.1 ms early, else yield.
                Thread.Sleep(due - now > Stopwatch.Frequency / 10_000 ? 1 : 0);
                continue;
            }

            int dueNow = (int)Math.Min(Order.Length - i, Math.Min(1024, (now - start) / ticksPerObservation - i + 1));
            var burst = new List<Observation>(Math.Max(1, dueNow));
            for (long dueAt; i < Order.Length && burst.Count < 1024 && (dueAt = start + (long)(i * ticksPerObservation)) <= now; i++)
                burst.Add(new Observation(Ids[Order[i]], FeaturesOf(i)) { AdmittedTicks = dueAt });
            yield return burst;
        }
    }
}
