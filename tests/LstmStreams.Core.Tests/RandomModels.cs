using LstmStreams.Core.Model;

namespace LstmStreams.Core.Tests;

/// <summary>Seeded random models of any shape, for tests that compare two ways of computing the same thing.</summary>
internal static class RandomModels
{
    public static RecurrentModel Create(CellKind cell, int input, int hidden, int layers, int? output, HeadActivation activation = HeadActivation.Identity,
        bool bias = true, int seed = 1, float scale = 0.5f)
    {
        var random = new Random(seed);
        float[] Values(int count)
        {
            var values = new float[count];
            for (int i = 0; i < count; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
            return values;
        }

        int gates = cell.GateCount() * hidden;
        var stack = new List<RecurrentLayer>();
        for (int k = 0; k < layers; k++)
        {
            int width = k == 0 ? input : hidden;
            stack.Add(new RecurrentLayer(cell, width, hidden, Values(gates * width), Values(gates * hidden),
                bias ? Values(gates) : null, bias ? Values(gates) : null));
        }

        var head = output is { } o ? new OutputHead(Values(o * hidden), bias ? Values(o) : null, hidden, activation) : null;
        return new RecurrentModel(cell, stack, head);
    }

    public static float[] Inputs(Random random, int count, float scale = 2f)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return values;
    }
}
