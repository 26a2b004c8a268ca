using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// nn.LSTM(proj_size=P): the epilogue writes o ⊙ tanh(c) and c of a row into its scratch (2H floats, see
/// <see cref="ManagedKernel"/>); then h_t = W_hr · (o ⊙ tanh(c_t)) [P] goes into the state and c back beside it.
/// </summary>
public sealed partial class ManagedKernel
{
    // weight_hr transposed, [H, P] row-major per layer (a row of m scales one row of it); null without projection.
    private readonly float[][]? _projections;

    private static float[] Transposed(float[] weightHr, int projection, int hidden)
    {
        var transposed = new float[hidden * projection];
        for (int p = 0; p < projection; p++)
            for (int j = 0; j < hidden; j++)
                transposed[j * projection + p] = weightHr[p * hidden + j];
        return transposed;
    }

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
        ref float w = ref MemoryMarshal.GetArrayDataReference(_projections![l]);
        for (int r = first; r < end; r++)
        {
            var scratch = _targets[r];
            var state = _rows[r];
            ref float m = ref MemoryMarshal.GetArrayDataReference(scratch);
            ref float h = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(state), hOffset);
            Project(ref w, ref m, ref h, hidden, projection);
            scratch.AsSpan(hidden, hidden).CopyTo(state.AsSpan(cOffset, hidden));
        }
    }

    /// <summary>h [P] = Σ_j m[j] · Wᵀ[j, :], in vectors over P (four at a time, then one, then scalars), j in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Project(ref float w, ref float m, ref float h, int hidden, int projection)
    {
        int width = Vector<float>.Count, p = 0;
        for (; p + 4 * width <= projection; p += 4 * width)
        {
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int j = 0; j < hidden; j++)
            {
                var mj = new Vector<float>(Unsafe.Add(ref m, j));
                nuint at = (nuint)(j * projection + p);
                a0 += mj * Vector.LoadUnsafe(ref w, at);
                a1 += mj * Vector.LoadUnsafe(ref w, at + (nuint)width);
                a2 += mj * Vector.LoadUnsafe(ref w, at + (nuint)(2 * width));
                a3 += mj * Vector.LoadUnsafe(ref w, at + (nuint)(3 * width));
            }

            a0.StoreUnsafe(ref h, (nuint)p);
            a1.StoreUnsafe(ref h, (nuint)(p + width));
            a2.StoreUnsafe(ref h, (nuint)(p + 2 * width));
            a3.StoreUnsafe(ref h, (nuint)(p + 3 * width));
        }

        for (; p + width <= projection; p += width)
        {
            Vector<float> a0 = default;
            for (int j = 0; j < hidden; j++)
                a0 += new Vector<float>(Unsafe.Add(ref m, j)) * Vector.LoadUnsafe(ref w, (nuint)(j * projection + p));
            a0.StoreUnsafe(ref h, (nuint)p);
        }

        for (; p < projection; p++)
        {
            float sum = 0f;
            for (int j = 0; j < hidden; j++) sum += Unsafe.Add(ref m, j) * Unsafe.Add(ref w, j * projection + p);
            Unsafe.Add(ref h, p) = sum;
        }
    }
}
