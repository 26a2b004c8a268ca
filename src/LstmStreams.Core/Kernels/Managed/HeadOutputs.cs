using LstmStreams.Core.Model;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// One sequence's prediction from its new state: the last layer's h, or the head's Linear layers and
/// activations. Shared by the managed and OpenBLAS kernels; a deeper head's inner rows live in a per-thread
/// scratch array grown once, so no observation allocates.
/// </summary>
internal static class HeadOutputs
{
    [ThreadStatic]
    private static float[]? t_scratch;

    /// <summary>Writes y [O] for the sequence whose state (already stepped) is <paramref name="state"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void WriteRow(RecurrentModel model, float[] state, Span<float> y)
    {
        int hidden = model.RealHiddenSize;
        ReadOnlySpan<float> h = state.AsSpan(model.HiddenOffset(model.LayerCount - 1), hidden);
        if (model.Head is not { } head)
        {
            h.CopyTo(y);
            return;
        }

        var layers = head.Layers;
        if (layers.Count == 1)
        {
            Apply(layers[0], h, y);
            return;
        }

        // Two halves of one scratch array take turns as a layer's input and output; the last layer writes y.
        int inner = head.WidestInnerSize;
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < 2 * inner)
            t_scratch = scratch = new float[2 * inner];
        ReadOnlySpan<float> input = h;
        for (int k = 0; k < layers.Count - 1; k++)
        {
            var output = scratch.AsSpan((k & 1) * inner, layers[k].OutputSize);
            Apply(layers[k], input, output);
            input = output;
        }

        Apply(layers[^1], input, y);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Apply(HeadLayer layer, ReadOnlySpan<float> x, Span<float> y)
    {
        int width = layer.InputSize;
        var bias = layer.Bias;
        for (int o = 0; o < y.Length; o++)
        {
            var weights = layer.Weight.AsSpan(o * width, width);
            float sum = bias?[o] ?? 0f;
            for (int j = 0; j < width; j++) sum += weights[j] * x[j];
            y[o] = sum;
        }

        Activations.Apply(layer.Activation, y);
    }
}
