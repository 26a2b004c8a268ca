namespace LstmStreams.Core.Model;

/// <summary>
/// One layer of an nn.LSTM or nn.GRU, with PyTorch's parameter names and row-major layouts.
/// G is the gate count (4 for LSTM: i, f, g, o; 3 for GRU: r, z, n) and H the hidden size.
/// An LSTM may carry a projection (nn.LSTM(proj_size=P), 0 &lt; P &lt; H): then h_t = W_hr · (o_t ⊙ tanh(c_t))
/// is P wide, weight_hh is [4H, P] and the next layer (or the head) reads P-wide h; c stays H wide.
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
        : this(cell, inputSize, hiddenSize, weightIh, weightHh, biasIh, biasHh, null)
    {
    }

    /// <summary>Creates a layer, with a projection when <paramref name="weightHr"/> is given (LSTM only).</summary>
    /// <param name="cell">The cell kind, which fixes G.</param>
    /// <param name="inputSize">Width of this layer's input: M for layer 0, the layer below's h width above it.</param>
    /// <param name="hiddenSize">H: the width of the gates and of c.</param>
    /// <param name="weightIh">weight_ih, [G*H, inputSize] row-major.</param>
    /// <param name="weightHh">weight_hh, [G*H, R] row-major, R = P with a projection, H without.</param>
    /// <param name="biasIh">bias_ih, [G*H], or null for bias=False.</param>
    /// <param name="biasHh">bias_hh, [G*H], or null for bias=False.</param>
    /// <param name="weightHr">weight_hr, [P, H] row-major with P = weightHr.Length / H and 0 &lt; P &lt; H
    /// (PyTorch's rule), or null for no projection. A projection has no bias.</param>
    public RecurrentLayer(CellKind cell, int inputSize, int hiddenSize, float[] weightIh, float[] weightHh, float[]? biasIh, float[]? biasHh, float[]? weightHr)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        int projection = 0;
        if (weightHr is not null)
        {
            if (cell != CellKind.Lstm)
                throw new ArgumentException($"a projection (weight_hr) exists only for LSTM, not {cell.ToName()}.", nameof(weightHr));
            if (weightHr.Length == 0 || weightHr.Length % hiddenSize != 0 || weightHr.Length / hiddenSize >= hiddenSize)
                throw new ArgumentException($"{nameof(weightHr)} must have shape [P, {hiddenSize}] with 0 < P < {hiddenSize} but has {weightHr.Length} values.", nameof(weightHr));
            projection = weightHr.Length / hiddenSize;
        }

        int realHidden = projection > 0 ? projection : hiddenSize;
        int gates = cell.GateCount() * hiddenSize;
        CheckLength(weightIh, (long)gates * inputSize, nameof(weightIh), $"[{gates}, {inputSize}]");
        CheckLength(weightHh, (long)gates * realHidden, nameof(weightHh), $"[{gates}, {realHidden}]");
        if (biasIh is not null) CheckLength(biasIh, gates, nameof(biasIh), $"[{gates}]");
        if (biasHh is not null) CheckLength(biasHh, gates, nameof(biasHh), $"[{gates}]");
        Cell = cell;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        WeightIh = weightIh;
        WeightHh = weightHh;
        BiasIh = biasIh;
        BiasHh = biasHh;
        ProjectionSize = projection;
        WeightHr = weightHr;
    }

    /// <summary>The cell kind.</summary>
    public CellKind Cell { get; }

    /// <summary>Width of this layer's input.</summary>
    public int InputSize { get; }

    /// <summary>H: the width of the gates and of c.</summary>
    public int HiddenSize { get; }

    /// <summary>P of nn.LSTM(proj_size=P), or 0 without a projection.</summary>
    public int ProjectionSize { get; }

    /// <summary>Width of this layer's h (PyTorch's real_hidden_size): P with a projection, H without.
    /// weight_hh's columns, the next layer's input and the head's input all have this width.</summary>
    public int RealHiddenSize => ProjectionSize > 0 ? ProjectionSize : HiddenSize;

    /// <summary>G*H: rows of the weight matrices.</summary>
    public int GateRows => Cell.GateCount() * HiddenSize;

    /// <summary>weight_ih: [G*H, InputSize] row-major.</summary>
    public float[] WeightIh { get; }

    /// <summary>weight_hh: [G*H, R] row-major, R = <see cref="RealHiddenSize"/>.</summary>
    public float[] WeightHh { get; }

    /// <summary>weight_hr: [P, H] row-major, the projection h_t = W_hr · (o_t ⊙ tanh(c_t)); null without one.</summary>
    public float[]? WeightHr { get; }

    /// <summary>bias_ih: [G*H], or null when the model has bias=False.</summary>
    public float[]? BiasIh { get; }

    /// <summary>bias_hh: [G*H], or null when the model has bias=False.</summary>
    public float[]? BiasHh { get; }

    /// <summary>Number of scalar parameters in this layer.</summary>
    public long ParameterCount =>
        (long)WeightIh.Length + WeightHh.Length + (BiasIh?.Length ?? 0) + (BiasHh?.Length ?? 0) + (WeightHr?.Length ?? 0);

    private static void CheckLength(float[] values, long expected, string name, string shape)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.LongLength != expected)
            throw new ArgumentException($"{name} must have shape {shape} ({expected} values) but has {values.Length} values.", name);
    }
}
