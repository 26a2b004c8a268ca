namespace LstmStreams.Core.Kernels;

/// <summary>
/// Scalar activations, safe for any finite input: σ(±1e4) is exactly 1 or 0 and tanh(±1e4) is ±1, never NaN.
/// These are the oracle the vectorised kernels are measured against.
/// </summary>
public static class Activations
{
    /// <summary>σ(x) = 1 / (1 + e^−x), computed on the side that cannot overflow.</summary>
    public static float Sigmoid(float x)
    {
        if (x >= 0f)
            return 1f / (1f + MathF.Exp(-x));
        float e = MathF.Exp(x);
        return e / (1f + e);
    }

    /// <summary>tanh(x); MathF.Tanh saturates to ±1 without overflow.</summary>
    public static float Tanh(float x) => MathF.Tanh(x);

    /// <summary>GELU, the exact form PyTorch uses by default: x · ½(1 + erf(x / √2)), computed in double.</summary>
    public static float Gelu(float x) =>
        (float)(0.5 * x * (1.0 + MathNet.Numerics.SpecialFunctions.Erf(x * 0.70710678118654752440)));

    /// <summary>Softmax in place, shifted by the maximum so that no exponent overflows.</summary>
    public static void Softmax(Span<float> values)
    {
        if (values.IsEmpty) return;
        float max = values[0];
        for (int i = 1; i < values.Length; i++)
            if (values[i] > max) max = values[i];
        float sum = 0f;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = MathF.Exp(values[i] - max);
            sum += values[i];
        }

        float inverse = 1f / sum;
        for (int i = 0; i < values.Length; i++)
            values[i] *= inverse;
    }

    /// <summary>Applies a head activation in place to one output row.</summary>
    public static void Apply(Model.HeadActivation activation, Span<float> row)
    {
        switch (activation)
        {
            case Model.HeadActivation.Identity:
                break;
            case Model.HeadActivation.Sigmoid:
                for (int i = 0; i < row.Length; i++) row[i] = Sigmoid(row[i]);
                break;
            case Model.HeadActivation.Tanh:
                for (int i = 0; i < row.Length; i++) row[i] = Tanh(row[i]);
                break;
            case Model.HeadActivation.Softmax:
                Softmax(row);
                break;
            case Model.HeadActivation.Relu:
                for (int i = 0; i < row.Length; i++) row[i] = MathF.Max(row[i], 0f);
                break;
            case Model.HeadActivation.Gelu:
                for (int i = 0; i < row.Length; i++) row[i] = Gelu(row[i]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown head activation");
        }
    }
}
