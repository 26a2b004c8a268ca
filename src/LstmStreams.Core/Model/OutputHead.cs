namespace LstmStreams.Core.Model;

/// <summary>
/// The optional output head: an nn.Linear(H → O) on the last layer's h_t, then an activation
/// (the seeds' y_t = σ(W · h_t)).
/// </summary>
public sealed class OutputHead
{
    /// <summary>Creates a head.</summary>
    /// <param name="weight">[O, H] row-major.</param>
    /// <param name="bias">[O], or null.</param>
    /// <param name="hiddenSize">H, the width of the last layer's h.</param>
    /// <param name="activation">Applied after the Linear.</param>
    /// <param name="name">Where it came from (the state_dict prefix), for messages.</param>
    public OutputHead(float[] weight, float[]? bias, int hiddenSize, HeadActivation activation, string name = "head")
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        if (weight.Length == 0 || weight.Length % hiddenSize != 0)
            throw new ArgumentException($"head weight must have shape [O, {hiddenSize}] but has {weight.Length} values.", nameof(weight));
        OutputSize = weight.Length / hiddenSize;
        if (bias is not null && bias.Length != OutputSize)
            throw new ArgumentException($"head bias must have shape [{OutputSize}] but has {bias.Length} values.", nameof(bias));
        Weight = weight;
        Bias = bias;
        HiddenSize = hiddenSize;
        Activation = activation;
        Name = name;
    }

    /// <summary>[O, H] row-major.</summary>
    public float[] Weight { get; }

    /// <summary>[O], or null.</summary>
    public float[]? Bias { get; }

    /// <summary>H.</summary>
    public int HiddenSize { get; }

    /// <summary>O.</summary>
    public int OutputSize { get; }

    /// <summary>The activation after the Linear.</summary>
    public HeadActivation Activation { get; }

    /// <summary>The state_dict prefix the head was read from (e.g. "head.").</summary>
    public string Name { get; }

    /// <summary>Number of scalar parameters.</summary>
    public long ParameterCount => (long)Weight.Length + (Bias?.Length ?? 0);
}
