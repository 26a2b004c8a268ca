namespace LstmStreams.Core.Model;

/// <summary>
/// The optional output head on the last layer's h_t: one or more Linear layers, each followed by an
/// activation (the seeds' y_t = σ(W · h_t) is one layer; an nn.Sequential(Linear, ReLU, Linear) is two).
/// </summary>
public sealed class OutputHead
{
    /// <summary>Creates a one-layer head: nn.Linear(H → O) then <paramref name="activation"/>.</summary>
    /// <param name="weight">[O, H] row-major.</param>
    /// <param name="bias">[O], or null.</param>
    /// <param name="hiddenSize">H, the width of the last layer's h.</param>
    /// <param name="activation">Applied after the Linear.</param>
    /// <param name="name">Where it came from (the state_dict prefix), for messages.</param>
    public OutputHead(float[] weight, float[]? bias, int hiddenSize, HeadActivation activation, string name = "head")
        : this([new HeadLayer(weight, bias, hiddenSize, activation, name)], name)
    {
    }

    /// <summary>Creates a head of stacked layers; each layer's input width must be the previous one's output width.</summary>
    /// <param name="layers">The layers, first (taking h) first.</param>
    /// <param name="name">Where it came from (e.g. "head." of an nn.Sequential), for messages.</param>
    public OutputHead(IReadOnlyList<HeadLayer> layers, string name = "head")
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
            throw new ArgumentException("a head needs at least one Linear layer.", nameof(layers));
        for (int k = 1; k < layers.Count; k++)
        {
            if (layers[k].InputSize != layers[k - 1].OutputSize)
                throw new ArgumentException($"head layer '{layers[k].Name}' takes {layers[k].InputSize} inputs but '{layers[k - 1].Name}' gives {layers[k - 1].OutputSize}; the widths must chain.", nameof(layers));
        }

        Layers = layers;
        HiddenSize = layers[0].InputSize;
        OutputSize = layers[^1].OutputSize;
        Name = name;
        int widest = 0;
        for (int k = 0; k < layers.Count - 1; k++) widest = Math.Max(widest, layers[k].OutputSize);
        WidestInnerSize = widest;
    }

    /// <summary>The layers, first (taking h) first.</summary>
    public IReadOnlyList<HeadLayer> Layers { get; }

    /// <summary>[O, H] row-major: the weight of a one-layer head.</summary>
    /// <exception cref="InvalidOperationException">The head has several layers; read <see cref="Layers"/>.</exception>
    public float[] Weight => Single.Weight;

    /// <summary>[O], or null: the bias of a one-layer head.</summary>
    /// <exception cref="InvalidOperationException">The head has several layers; read <see cref="Layers"/>.</exception>
    public float[]? Bias => Single.Bias;

    /// <summary>The activation of a one-layer head.</summary>
    /// <exception cref="InvalidOperationException">The head has several layers; read <see cref="Layers"/>.</exception>
    public HeadActivation Activation => Single.Activation;

    /// <summary>H: the width the head takes.</summary>
    public int HiddenSize { get; }

    /// <summary>O: the width of the last layer.</summary>
    public int OutputSize { get; }

    /// <summary>The widest output of any layer but the last (0 for a one-layer head): the scratch a kernel needs per row.</summary>
    public int WidestInnerSize { get; }

    /// <summary>The state_dict prefix the head was read from (e.g. "head.").</summary>
    public string Name { get; }

    /// <summary>Number of scalar parameters, every layer.</summary>
    public long ParameterCount
    {
        get
        {
            long total = 0;
            foreach (var layer in Layers) total += layer.ParameterCount;
            return total;
        }
    }

    /// <summary>"linear 6→32 relu, linear 32→2 identity": the layers as loaded.</summary>
    public string Describe() =>
        string.Join(", ", Layers.Select(l => $"linear {l.InputSize}→{l.OutputSize} {l.Activation.ToName()}"));

    private HeadLayer Single => Layers.Count == 1
        ? Layers[0]
        : throw new InvalidOperationException($"the head '{Name}' has {Layers.Count} layers; read OutputHead.Layers.");
}
