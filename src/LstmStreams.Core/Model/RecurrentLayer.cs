namespace LstmStreams.Core.Model;

/// <summary>
/// One layer of an nn.LSTM or nn.GRU, with PyTorch's parameter names and row-major layouts.
/// G is the gate count (4 for LSTM: i, f, g, o; 3 for GRU: r, z, n) and H the hidden size.
/// </summary>
public sealed class RecurrentLayer
{
    /// <summary>Creates a layer; shapes are checked against <paramref name="inputSize"/> and <paramref name="hiddenSize"/>.</summary>
    /// <param name="cell">The cell kind, which fixes G.</param>
    /// <param name="inputSize">Width of this layer's input: M for layer 0, H above it.</param>
    /// <param name="hiddenSize">H.</param>
    /// <param name="weightIh">weight_ih, [G*H, inputSize] row-major.</param>
    /// <param name="weightHh">weight_hh, [G*H, H] row-major.</param>
    /// <param name="biasIh">bias_ih, [G*H], or null for bias=False.</param>
    /// <param name="biasHh">bias_hh, [G*H], or null for bias=False.</param>
    public RecurrentLayer(CellKind cell, int inputSize, int hiddenSize, float[] weightIh, float[] weightHh, float[]? biasIh, float[]? biasHh)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        int gates = cell.GateCount() * hiddenSize;
        CheckLength(weightIh, (long)gates * inputSize, nameof(weightIh), $"[{gates}, {inputSize}]");
        CheckLength(weightHh, (long)gates * hiddenSize, nameof(weightHh), $"[{gates}, {hiddenSize}]");
        if (biasIh is not null) CheckLength(biasIh, gates, nameof(biasIh), $"[{gates}]");
        if (biasHh is not null) CheckLength(biasHh, gates, nameof(biasHh), $"[{gates}]");
        Cell = cell;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        WeightIh = weightIh;
        WeightHh = weightHh;
        BiasIh = biasIh;
        BiasHh = biasHh;
    }

    /// <summary>The cell kind.</summary>
    public CellKind Cell { get; }

    /// <summary>Width of this layer's input.</summary>
    public int InputSize { get; }

    /// <summary>H.</summary>
    public int HiddenSize { get; }

    /// <summary>G*H: rows of the weight matrices.</summary>
    public int GateRows => Cell.GateCount() * HiddenSize;

    /// <summary>weight_ih: [G*H, InputSize] row-major.</summary>
    public float[] WeightIh { get; }

    /// <summary>weight_hh: [G*H, H] row-major.</summary>
    public float[] WeightHh { get; }

    /// <summary>bias_ih: [G*H], or null when the model has bias=False.</summary>
    public float[]? BiasIh { get; }

    /// <summary>bias_hh: [G*H], or null when the model has bias=False.</summary>
    public float[]? BiasHh { get; }

    /// <summary>Number of scalar parameters in this layer.</summary>
    public long ParameterCount =>
        (long)WeightIh.Length + WeightHh.Length + (BiasIh?.Length ?? 0) + (BiasHh?.Length ?? 0);

    private static void CheckLength(float[] values, long expected, string name, string shape)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.LongLength != expected)
            throw new ArgumentException($"{name} must have shape {shape} ({expected} values) but has {values.Length} values.", name);
    }
}
