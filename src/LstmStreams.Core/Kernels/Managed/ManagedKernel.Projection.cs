using System.Numerics;
using System.Runtime.CompilerServices;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// nn.LSTM(proj_size=P): the epilogue writes o ⊙ tanh(c) and c of a row into its scratch (2H floats, see
/// <see cref="ManagedKernel"/>); then h_t = W_hr · (o ⊙ tanh(c_t)) [P] goes into the state and c back beside it.
/// </summary>
public sealed partial class ManagedKernel
{
    // weight_hr [P, H] row-major per layer; null for a model without projection.
    private readonly float[][]? _projections;

    /// <summary>Copies c_{t-1} of rows [first, end) of layer <paramref name="l"/> into their scratch.</summary>
    private void LoadCells(int l, int first, int end)
    {
        int hidden = Model.HiddenSize, cOffset = Model.CellOffset(l);
        for (int r = first; r < end; r++)
            _rows[r].AsSpan(cOffset, hidden).CopyTo(_targets[r].AsSpan(hidden, hidden));
    }

    /// <summary>Writes h_t = W_hr · m (m = the scratch's o ⊙ tanh(c_t)) and c_t into the states of rows [first, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Project(int l, int first, int end)
    {
        int hidden = Model.HiddenSize, projection = Model.ProjectionSize;
        int hOffset = Model.HiddenOffset(l), cOffset = Model.CellOffset(l);
        var weights = _projections![l];
        for (int r = first; r < end; r++)
        {
            var scratch = _targets[r];
            var state = _rows[r];
            ReadOnlySpan<float> m = scratch.AsSpan(0, hidden);
            for (int p = 0; p < projection; p++)
                state[hOffset + p] = Dot(weights.AsSpan(p * hidden, hidden), m);
            scratch.AsSpan(hidden, hidden).CopyTo(state.AsSpan(cOffset, hidden));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        int j = 0;
        for (; j + Vector<float>.Count <= a.Length; j += Vector<float>.Count)
            sum += new Vector<float>(a[j..]) * new Vector<float>(b[j..]);
        float total = Vector.Sum(sum);
        for (; j < a.Length; j++) total += a[j] * b[j];
        return total;
    }
}
