using System.Diagnostics;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;

namespace LstmStreams.Cli.Bench;

/// <summary>
/// The two loops the runtime is measured against, on the same workload and kernel:
/// the ideal loop (a dictionary of states, gather/scatter, batches of the runtime's mean size, no actors,
/// no streams) and the per-event loop (each observation stepped alone, as a naive service would).
/// </summary>
internal static class Baselines
{
    public static double IdealObservationsPerSecond(RecurrentModel model, Workload workload, int batchSize, KernelBackend backend, int threads, TimeSpan budget) =>
        Run(model, workload, Math.Max(1, batchSize), backend, threads, budget);

    public static double PerEventObservationsPerSecond(RecurrentModel model, Workload workload, KernelBackend backend, int threads, TimeSpan budget) =>
        Run(model, workload, 1, backend, threads, budget);

    private static double Run(RecurrentModel model, Workload workload, int batchSize, KernelBackend backend, int threads, TimeSpan budget)
    {
        using var kernel = StepKernels.Create(model, backend, batchSize, threads); // the runtime's kernel and thread count
        var states = new Dictionary<string, float[]>(workload.Ids.Length, StringComparer.Ordinal);
        int m = model.InputSize;
        var inputs = new float[batchSize * m];
        var batch = new float[batchSize][];
        var outputs = new float[batchSize * model.OutputSize];
        var inBatch = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        long done = 0, flushes = 0;
        int size = 0, checkEvery = Math.Max(1, 1024 / batchSize);
        var clock = Stopwatch.StartNew();
        void Flush()
        {
            kernel.Step(inputs.AsSpan(0, size * m), batch.AsSpan(0, size), outputs.AsSpan(0, size * model.OutputSize));
            done += size;
            size = 0;
            inBatch.Clear();
        }

        for (int i = 0; ; i++)
        {
            if (i == workload.Order.Length) i = 0;
            string id = workload.Ids[workload.Order[i]];
            if (!states.TryGetValue(id, out var state)) states.Add(id, state = model.NewState());
            if (!inBatch.Add(state))
            {
                Flush(); // one step per sequence per batch, as in the runtime
                inBatch.Add(state);
            }

            batch[size] = state;
            workload.FeaturesOf(i).CopyTo(inputs, size * m);
            if (++size == batchSize)
            {
                Flush();
                if (++flushes % checkEvery == 0 && clock.Elapsed > budget) break;
            }
        }

        return done / clock.Elapsed.TotalSeconds;
    }
}
