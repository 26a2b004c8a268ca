using LstmStreams.Core.Model;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// One layer's weights packed once for the fused step. Hidden units are grouped in blocks of U (one
/// vector); block b holds, for every k of the concatenated input [x ; h] (K = in + H rows), the 4·U
/// weights of its four gate groups side by side, so one register tile computes every gate of U units and
/// the state update runs on the tile while it is still in registers. With a projection the h rows of [x ; h]
/// are P wide (K = in + P) while the gates still cover H units.
/// LSTM groups: i, f, g, o (V = [W_ih | W_hh]). GRU groups: r, z, n_x (x rows only), n_h (h rows only),
/// since the GRU needs W_hn·h + b_hn apart to scale it by r.
/// </summary>
internal sealed class PackedLayer
{
    public PackedLayer(RecurrentLayer layer, int units)
    {
        Cell = layer.Cell;
        Input = layer.InputSize;
        Hidden = layer.HiddenSize;
        K = Input + layer.RealHiddenSize;
        U = units;
        Blocks = (Hidden + U - 1) / U;
        Weights = new float[Blocks * K * 4 * U];
        Bias = new float[Blocks * 4 * U];
        int h = Hidden;
        for (int block = 0; block < Blocks; block++)
        {
            for (int group = 0; group < 4; group++)
            {
                for (int u = 0; u < U; u++)
                {
                    int j = block * U + u;
                    if (j >= h) continue; // padding units stay zero and are never stored
                    Bias[(block * 4 + group) * U + u] = FusedBias(layer, group, j);
                    for (int k = 0; k < K; k++)
                        Weights[((block * K + k) * 4 + group) * U + u] = FusedWeight(layer, group, j, k);
                }
            }
        }
    }

    public CellKind Cell { get; }
    public int Input { get; }
    public int Hidden { get; }
    public int K { get; }
    public int U { get; }
    public int Blocks { get; }

    /// <summary>[Blocks, K, 4, U].</summary>
    public float[] Weights { get; }

    /// <summary>[Blocks, 4, U].</summary>
    public float[] Bias { get; }

    /// <summary>
    /// The weight of input k of [x ; h] for unit j of gate group <paramref name="group"/> (0–3, see the class
    /// summary): LSTM i, f, g, o; GRU r, z, n_x (zero on the h rows), n_h (zero on the x rows).
    /// </summary>
    public static float FusedWeight(RecurrentLayer layer, int group, int j, int k)
    {
        int input = layer.InputSize, hidden = layer.HiddenSize;
        bool fromX = k < input;
        int column = fromX ? k : k - input;
        float[] matrix = fromX ? layer.WeightIh : layer.WeightHh;
        int width = fromX ? input : layer.RealHiddenSize;
        int row;
        if (layer.Cell == CellKind.Lstm)
        {
            row = group * hidden + j;
        }
        else
        {
            if ((group == 2 && !fromX) || (group == 3 && fromX)) return 0f;
            row = Math.Min(group, 2) * hidden + j;
        }

        return matrix[row * width + column];
    }

    /// <summary>The bias of unit j of gate group <paramref name="group"/>: b_ih + b_hh, except GRU n_x (b_in) and n_h (b_hn).</summary>
    public static float FusedBias(RecurrentLayer layer, int group, int j)
    {
        int h = layer.HiddenSize;
        float Ih(int row) => layer.BiasIh?[row] ?? 0f;
        float Hh(int row) => layer.BiasHh?[row] ?? 0f;
        if (layer.Cell == CellKind.Lstm) return Ih(group * h + j) + Hh(group * h + j);
        return group switch
        {
            0 => Ih(j) + Hh(j),
            1 => Ih(h + j) + Hh(h + j),
            2 => Ih(2 * h + j),
            _ => Hh(2 * h + j),
        };
    }
}
