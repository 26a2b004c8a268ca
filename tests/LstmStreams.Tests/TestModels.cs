using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;
using LstmStreams.Pipeline;

namespace LstmStreams.Tests;

/// <summary>Seeded random models and the oracle "each sequence stepped alone".</summary>
internal static class TestModels
{
    public static RecurrentModel Random(CellKind cell = CellKind.Lstm, int input = 4, int hidden = 8, int layers = 2, int? output = 2, int seed = 1)
    {
        var random = new Random(seed);
        float[] Values(int n)
        {
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float)(random.NextDouble() - 0.5);
            return v;
        }

        int gates = cell.GateCount() * hidden;
        var stack = Enumerable.Range(0, layers).Select(k =>
        {
            int width = k == 0 ? input : hidden;
            return new RecurrentLayer(cell, width, hidden, Values(gates * width), Values(gates * hidden), Values(gates), Values(gates));
        }).ToList();
        var head = output is { } o ? new OutputHead(Values(o * hidden), Values(o), hidden, HeadActivation.Sigmoid) : null;
        return new RecurrentModel(cell, stack, head);
    }

    public static float[] Features(Random random, int m)
    {
        var x = new float[m];
        for (int i = 0; i < m; i++) x[i] = (float)(random.NextDouble() * 4 - 2);
        return x;
    }

    /// <summary>Steps each sequence's observations alone, in order, honouring reset and end; returns the outputs per observation.</summary>
    public static Dictionary<Observation, float[]> SteppedAlone(RecurrentModel model, IEnumerable<Observation> observations, KernelBackend backend = KernelBackend.Reference)
    {
        using var kernel = StepKernels.Create(model, backend, 1);
        var states = new Dictionary<string, float[]>();
        var outputs = new Dictionary<Observation, float[]>(ReferenceEqualityComparer.Instance);
        foreach (var observation in observations)
        {
            if (!states.TryGetValue(observation.SequenceId, out var state)) states[observation.SequenceId] = state = model.NewState();
            if (observation.Reset) Array.Clear(state);
            var y = new float[model.OutputSize];
            kernel.Step(observation.Features, [state], y);
            outputs[observation] = y;
            if (observation.End) states.Remove(observation.SequenceId);
        }

        return outputs;
    }
}
