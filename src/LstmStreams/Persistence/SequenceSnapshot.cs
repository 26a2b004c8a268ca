using LstmStreams.Core.Model;

namespace LstmStreams.Persistence;

/// <summary>
/// The shape of the state a model keeps per sequence: cell kind, input size, each layer's hidden size and the
/// LSTM projection size. A snapshot records it, so a state is never restored into a model it does not fit.
/// </summary>
/// <param name="Cell">LSTM or GRU.</param>
/// <param name="InputSize">M, the features per observation.</param>
/// <param name="HiddenSizes">H of each layer, bottom first.</param>
/// <param name="ProjectionSize">P of nn.LSTM(proj_size=P) (h is P wide, c H wide), or 0 without a projection.</param>
public sealed record ModelShape(CellKind Cell, int InputSize, IReadOnlyList<int> HiddenSizes, int ProjectionSize = 0)
{
    /// <summary>The shape of <paramref name="model"/>'s state.</summary>
    public static ModelShape Of(RecurrentModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var hidden = new int[model.LayerCount];
        for (int k = 0; k < hidden.Length; k++) hidden[k] = model.Layers[k].HiddenSize;
        return new ModelShape(model.Cell, model.InputSize, hidden, model.ProjectionSize);
    }

    /// <summary>Floats of state per sequence: h (P wide with a projection, else H) and, for LSTM, c (H) of every layer.</summary>
    public int StateSize
    {
        get
        {
            int size = 0;
            foreach (int h in HiddenSizes)
                size += Cell == CellKind.Lstm ? (ProjectionSize > 0 ? ProjectionSize : h) + h : h;
            return size;
        }
    }

    /// <inheritdoc />
    public bool Equals(ModelShape? other) =>
        other is not null && Cell == other.Cell && InputSize == other.InputSize && ProjectionSize == other.ProjectionSize
        && HiddenSizes.SequenceEqual(other.HiddenSizes);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Cell, InputSize, HiddenSizes.Count, ProjectionSize);

    /// <summary>e.g. "lstm, input 8, hidden [64, 64]" or "lstm, input 8, hidden [64, 64], proj 16".</summary>
    public override string ToString() =>
        $"{Cell.ToName()}, input {InputSize}, hidden [{string.Join(", ", HiddenSizes)}]" + (ProjectionSize > 0 ? $", proj {ProjectionSize}" : "");
}

/// <summary>
/// One sequence's durable state, as written to the snapshot store: the model shape it belongs to, h and c
/// of every layer (the layout of <see cref="RecurrentModel"/>), the count of observations applied (the next
/// default t) and the last explicit t applied (for replay deduplication).
/// </summary>
/// <param name="Shape">The shape of the model that wrote it.</param>
/// <param name="Values">[StateSize] floats.</param>
/// <param name="Count">Observations applied since the start or the last end.</param>
/// <param name="LastT">The last explicit t applied; null if none.</param>
public sealed record SequenceSnapshot(ModelShape Shape, float[] Values, long Count, long? LastT);
