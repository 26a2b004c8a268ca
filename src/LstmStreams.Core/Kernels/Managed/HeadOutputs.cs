using LstmStreams.Core.Model;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>One sequence's prediction from its new state: the last layer's h, or the head's Linear and activation.</summary>
internal static class HeadOutputs
{
    /// <summary>Writes y [O] for the sequence whose state (already stepped) is <paramref name="state"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void WriteRow(RecurrentModel model, float[] state, Span<float> y)
    {
        int hidden = model.HiddenSize;
        var h = state.AsSpan(model.HiddenOffset(model.LayerCount - 1), hidden);
        if (model.Head is not { } head)
        {
            h.CopyTo(y);
            return;
        }

        for (int o = 0; o < y.Length; o++)
        {
            var weights = head.Weight.AsSpan(o * hidden, hidden);
            float sum = head.Bias?[o] ?? 0f;
            for (int j = 0; j < hidden; j++) sum += weights[j] * h[j];
            y[o] = sum;
        }

        Activations.Apply(head.Activation, y);
    }
}
