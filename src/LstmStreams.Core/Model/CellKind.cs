namespace LstmStreams.Core.Model;

/// <summary>The recurrent cell, with PyTorch's gate layout.</summary>
public enum CellKind
{
    /// <summary>nn.LSTM: 4 gate blocks in the order i, f, g, o; state per layer is (h, c).</summary>
    Lstm,

    /// <summary>nn.GRU: 3 gate blocks in the order r, z, n; state per layer is h.</summary>
    Gru,
}

/// <summary>Facts that follow from the cell kind.</summary>
public static class CellKindExtensions
{
    /// <summary>Gate blocks G in weight_ih/weight_hh ([G*H, in]): 4 for LSTM, 3 for GRU.</summary>
    public static int GateCount(this CellKind cell) => cell == CellKind.Lstm ? 4 : 3;

    /// <summary>State vectors of length H per layer: 2 for LSTM (h, c), 1 for GRU (h).</summary>
    public static int StateVectorsPerLayer(this CellKind cell) => cell == CellKind.Lstm ? 2 : 1;

    /// <summary>The lower-case name used in metadata, config and the CLI.</summary>
    public static string ToName(this CellKind cell) => cell == CellKind.Lstm ? "lstm" : "gru";
}
