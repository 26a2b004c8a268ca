namespace LstmStreams.Core.Model;

/// <summary>
/// A stacked LSTM or GRU (PyTorch's nn.LSTM / nn.GRU, batch of independent sequences) with an optional
/// output head. Immutable once built; kernels pack its weights once.
/// </summary>
/// <remarks>
/// The recurrent state of one sequence is one <c>float[StateSize]</c>, laid out per layer k as
/// <c>h_k</c> (H floats) followed, for LSTM, by <c>c_k</c> (H floats):
/// <c>[h_0, c_0, h_1, c_1, …]</c> for LSTM, <c>[h_0, h_1, …]</c> for GRU. Zeros is the initial state.
/// </remarks>
public sealed class RecurrentModel
{
    /// <summary>Builds a model and checks that the layers stack (layer k's input is layer k−1's h).</summary>
    /// <param name="cell">LSTM or GRU.</param>
    /// <param name="layers">The stacked layers, bottom first.</param>
    /// <param name="head">The output head, or null.</param>
    /// <param name="metadata">The file's string metadata, or null.</param>
    /// <param name="scaling">The input and output standardization the model was trained with, or null for none;
    /// its widths must be M and O.</param>
    public RecurrentModel(CellKind cell, IReadOnlyList<RecurrentLayer> layers, OutputHead? head,
        IReadOnlyDictionary<string, string>? metadata = null, FeatureScaling? scaling = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
            throw new ArgumentException("a model needs at least one recurrent layer.", nameof(layers));
        int hidden = layers[0].HiddenSize;
        for (int k = 0; k < layers.Count; k++)
        {
            var layer = layers[k];
            if (layer.Cell != cell)
                throw new ArgumentException($"layer {k} is {layer.Cell.ToName()} but the model is {cell.ToName()}.", nameof(layers));
            if (layer.HiddenSize != hidden)
                throw new ArgumentException($"layer {k} has hidden size {layer.HiddenSize} but layer 0 has {hidden}; all layers must share H.", nameof(layers));
            if (k > 0 && layer.InputSize != hidden)
                throw new ArgumentException($"layer {k} takes input of width {layer.InputSize} but layer {k - 1} produces h of width {hidden}.", nameof(layers));
        }

        if (head is not null && head.HiddenSize != hidden)
            throw new ArgumentException($"the head takes input of width {head.HiddenSize} but the last layer produces h of width {hidden}.", nameof(head));

        Cell = cell;
        Layers = layers;
        Head = head;
        InputSize = layers[0].InputSize;
        HiddenSize = hidden;
        OutputSize = head?.OutputSize ?? hidden;
        StateSize = layers.Count * cell.StateVectorsPerLayer() * hidden;
        Metadata = metadata ?? new Dictionary<string, string>();
        Scaling = scaling ?? FeatureScaling.None;
        Scaling.CheckFits(InputSize, OutputSize);
    }

    /// <summary>LSTM or GRU.</summary>
    public CellKind Cell { get; }

    /// <summary>The stacked layers, bottom first.</summary>
    public IReadOnlyList<RecurrentLayer> Layers { get; }

    /// <summary>The output head, or null: then the output is the last layer's h_t.</summary>
    public OutputHead? Head { get; }

    /// <summary>M: the width of one observation's features.</summary>
    public int InputSize { get; }

    /// <summary>H: the hidden size shared by all layers.</summary>
    public int HiddenSize { get; }

    /// <summary>O: the width of one prediction (H without a head).</summary>
    public int OutputSize { get; }

    /// <summary>Floats of recurrent state per sequence: layers × (2H for LSTM, H for GRU).</summary>
    public int StateSize { get; }

    /// <summary>Bytes of recurrent state per sequence.</summary>
    public int StateBytesPerSequence => StateSize * sizeof(float);

    /// <summary>Metadata from the file the model came from (string → string).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// How raw inputs are standardized before the step and predictions de-standardized after it (from the
    /// file's <c>feature_mean</c>, <c>feature_std</c>, <c>target_mean</c>, <c>target_std</c>), and the inputs'
    /// names. Never null: <see cref="FeatureScaling.None"/> when the file carries none. Kernels made by
    /// <see cref="Kernels.StepKernels.Create"/> apply it.
    /// </summary>
    public FeatureScaling Scaling { get; }

    /// <summary>
    /// Tensors of the file the model came from that it does not use (e.g. a second Linear after the head,
    /// an embedding): if they are part of the network's forward path, predictions will differ from PyTorch.
    /// </summary>
    public IReadOnlyList<string> IgnoredTensors { get; init; } = [];

    /// <summary>Number of layers.</summary>
    public int LayerCount => Layers.Count;

    /// <summary>Total scalar parameters, head included.</summary>
    public long ParameterCount
    {
        get
        {
            long total = Head?.ParameterCount ?? 0;
            foreach (var layer in Layers) total += layer.ParameterCount;
            return total;
        }
    }

    /// <summary>
    /// The same model (shared weights) fed raw inputs and giving raw predictions: the scaling's means and
    /// standard deviations dropped, its feature names kept. What <c>--raw</c> runs.
    /// </summary>
    public RecurrentModel WithoutScaling() =>
        !Scaling.ChangesNumbers
            ? this
            : new RecurrentModel(Cell, Layers, Head, Metadata, Scaling.WithoutNumbers()) { IgnoredTensors = IgnoredTensors };

    /// <summary>Offset of layer <paramref name="layer"/>'s h in a state array.</summary>
    public int HiddenOffset(int layer) => layer * Cell.StateVectorsPerLayer() * HiddenSize;

    /// <summary>Offset of layer <paramref name="layer"/>'s c in a state array (LSTM only).</summary>
    public int CellOffset(int layer) =>
        Cell == CellKind.Lstm
            ? HiddenOffset(layer) + HiddenSize
            : throw new InvalidOperationException("a GRU has no cell state c.");

    /// <summary>A fresh all-zeros state for one sequence.</summary>
    public float[] NewState() => new float[StateSize];

    /// <summary>One line describing the shape, e.g. "lstm 2×64, input 8, output 1 (sigmoid head), scaled inputs"
    /// (a deeper head is listed layer by layer).</summary>
    public string Describe() =>
        $"{Cell.ToName()} {LayerCount}×{HiddenSize}, input {InputSize}, output {OutputSize}" +
        (Head is null ? " (last layer's h)"
            : Head.Layers.Count == 1 ? $" ({Head.Layers[0].Activation.ToName()} head)"
            : $" ({Head.Layers.Count}-layer head: {Head.Describe()})") +
        (Scaling.ScalesInputs, Scaling.ScalesOutputs) switch
        {
            (true, true) => ", scaled inputs and outputs",
            (true, false) => ", scaled inputs",
            (false, true) => ", scaled outputs",
            _ => "",
        };
}
