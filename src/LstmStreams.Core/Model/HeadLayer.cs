namespace LstmStreams.Core.Model;

/// <summary>
/// One layer of the output head: an nn.Linear(In → Out) followed by an activation
/// (the activation module that follows it in an nn.Sequential, or identity).
/// </summary>
public sealed class HeadLayer
{
    /// <summary>Creates a layer.</summary>
    /// <param name="weight">[Out, In] row-major, PyTorch's <c>weight</c>.</param>
    /// <param name="bias">[Out], or null.</param>
    /// <param name="inputSize">In.</param>
    /// <param name="activation">Applied after the Linear.</param>
    /// <param name="name">The state_dict prefix it was read from (e.g. "head.0."), for messages.</param>
    public HeadLayer(float[] weight, float[]? bias, int inputSize, HeadActivation activation, string name)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        if (weight.Length == 0 || weight.Length % inputSize != 0)
            throw new ArgumentException($"head layer '{name}' weight must have shape [Out, {inputSize}] but has {weight.Length} values.", nameof(weight));
        OutputSize = weight.Length / inputSize;
        if (bias is not null && bias.Length != OutputSize)
            throw new ArgumentException($"head layer '{name}' bias must have shape [{OutputSize}] but has {bias.Length} values.", nameof(bias));
        Weight = weight;
        Bias = bias;
        InputSize = inputSize;
        Activation = activation;
        Name = name;
    }

    /// <summary>[Out, In] row-major.</summary>
    public float[] Weight { get; }

    /// <summary>[Out], or null.</summary>
    public float[]? Bias { get; }

    /// <summary>In: the previous layer's width (H for the first).</summary>
    public int InputSize { get; }

    /// <summary>Out.</summary>
    public int OutputSize { get; }

    /// <summary>The activation after the Linear.</summary>
    public HeadActivation Activation { get; }

    /// <summary>The state_dict prefix the layer was read from (e.g. "head.0.").</summary>
    public string Name { get; }

    /// <summary>Number of scalar parameters.</summary>
    public long ParameterCount => (long)Weight.Length + (Bias?.Length ?? 0);
}
