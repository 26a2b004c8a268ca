namespace LstmStreams.Core.Model;

/// <summary>
/// A stacked LSTM or GRU (PyTorch's nn.LSTM / nn.GRU, batch of independent sequences) with an optional
/// output head. Immutable once built; kernels pack its weights once.
/// </summary>
/// <remarks>
/// The recurrent state of one sequence is one <c>float[StateSize]</c>, laid out per layer k as
/// <c>h_k</c> (R floats) followed, for LSTM, by <c>c_k</c> (H floats):
/// <c>[h_0, c_0, h_1, c_1, …]</c> for LSTM, <c>[h_0, h_1, …]</c> for GRU. Zeros is the initial state.
/// R is <see cref="RealHiddenSize"/>: P for an LSTM with a projection (proj_size=P), else H.
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
        int projection = layers[0].ProjectionSize;
        int real = layers[0].RealHiddenSize;
        for (int k = 0; k < layers.Count; k++)
        {
            var layer = layers[k];
            if (layer.Cell != cell)
                throw new ArgumentException($"layer {k} is {layer.Cell.ToName()} but the model is {cell.ToName()}.", nameof(layers));
            if (layer.HiddenSize != hidden)
                throw new ArgumentException($"layer {k} has hidden size {layer.HiddenSize} but layer 0 has {hidden}; all layers must share H.", nameof(layers));
            if (layer.ProjectionSize != projection)
                throw new ArgumentException($"layer {k} has projection size {layer.ProjectionSize} but layer 0 has {projection}; all layers must share proj_size.", nameof(layers));
            if (k > 0 && layer.InputSize != real)
                throw new ArgumentException($"layer {k} takes input of width {layer.InputSize} but layer {k - 1} produces h of width {real}.", nameof(layers));
        }

        if (head is not null && head.HiddenSize != real)
            throw new ArgumentException($"the head takes input of width {head.HiddenSize} but the last layer produces h of width {real}.", nameof(head));

        Cell = cell;
        Layers = layers;
        Head = head;
        InputSize = layers[0].InputSize;
        HiddenSize = hidden;
        ProjectionSize = projection;
        RealHiddenSize = real;
        OutputSize = head?.OutputSize ?? real;
        StateSize = layers.Count * LayerStateSize;
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

    /// <summary>H: the hidden size shared by all layers (the width of the gates and of c).</summary>
    public int HiddenSize { get; }

    /// <summary>P of nn.LSTM(proj_size=P), shared by all layers, or 0 without a projection.</summary>
    public int ProjectionSize { get; }

    /// <summary>R: the width of every layer's h (what the next layer and the head read): P with a projection, else H.</summary>
    public int RealHiddenSize { get; }

    /// <summary>O: the width of one prediction (R without a head).</summary>
    public int OutputSize { get; }

    /// <summary>Floats of recurrent state per sequence: layers × (R + H for LSTM, H for GRU).</summary>
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

    /// <summary>Whether the layers carry a projection (ProjectionSize &gt; 0).</summary>
    public bool HasProjection => ProjectionSize > 0;

    /// <summary>Floats of state per layer: R + H for LSTM (h then c), H for GRU.</summary>
    public int LayerStateSize => Cell == CellKind.Lstm ? RealHiddenSize + HiddenSize : HiddenSize;

    /// <summary>Offset of layer <paramref name="layer"/>'s h (R floats) in a state array.</summary>
    public int HiddenOffset(int layer) => layer * LayerStateSize;

    /// <summary>Offset of layer <paramref name="layer"/>'s c (H floats) in a state array (LSTM only).</summary>
    public int CellOffset(int layer) =>
        Cell == CellKind.Lstm
            ? HiddenOffset(layer) + RealHiddenSize
            : throw new InvalidOperationException("a GRU has no cell state c.");

    /// <summary>A fresh all-zeros state for one sequence.</summary>
    public float[] NewState() => new float[StateSize];

    /// <summary>One line describing the shape, e.g. "lstm 2×64, input 8, output 1 (sigmoid head), scaled inputs"
    /// (a deeper head is listed layer by layer).</summary>
    public string Describe() =>
        $"{Cell.ToName()} {LayerCount}×{HiddenSize}{(HasProjection ? $" (proj {ProjectionSize})" : "")}, input {InputSize}, output {OutputSize}" +
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
