using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// Where a tile's gates go: the state arrays of its rows, the offsets of h and c for the layer, and the
/// block of hidden units. The epilogue turns a row's four gate vectors into the new h (and c) in place.
/// </summary>
internal readonly unsafe struct Epilogue
{
    public Epilogue(CellKind cell, int hOffset, int cOffset, float* bias, int firstUnit, int validUnits)
    {
        Cell = cell;
        HOffset = hOffset + firstUnit;
        COffset = cOffset + firstUnit;
        Bias = bias;
        ValidUnits = validUnits;
    }

    public CellKind Cell { get; }
    public int HOffset { get; }
    public int COffset { get; }
    public float* Bias { get; }
    public int ValidUnits { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply512(float* sums, float[] state)
    {
        var g0 = Vector512.Load(sums) + Vector512.Load(Bias);
        var g1 = Vector512.Load(sums + 16) + Vector512.Load(Bias + 16);
        var g2 = Vector512.Load(sums + 32) + Vector512.Load(Bias + 32);
        var g3 = Vector512.Load(sums + 48) + Vector512.Load(Bias + 48);
        ref float s = ref MemoryMarshal.GetArrayDataReference(state);
        if (ValidUnits == 16)
        {
            if (Cell == CellKind.Lstm)
            {
                var c = Vector512.LoadUnsafe(ref s, (nuint)COffset);
                c = VectorMath.Sigmoid(g1) * c + VectorMath.Sigmoid(g0) * VectorMath.Tanh(g2);
                c.StoreUnsafe(ref s, (nuint)COffset);
                (VectorMath.Sigmoid(g3) * VectorMath.Tanh(c)).StoreUnsafe(ref s, (nuint)HOffset);
            }
            else
            {
                var h = Vector512.LoadUnsafe(ref s, (nuint)HOffset);
                var r = VectorMath.Sigmoid(g0);
                var z = VectorMath.Sigmoid(g1);
                var n = VectorMath.Tanh(g2 + r * g3);
                (n + z * (h - n)).StoreUnsafe(ref s, (nuint)HOffset);
            }

            return;
        }

        g0.Store(sums); // a partial block: the scalar epilogue on the valid units
        g1.Store(sums + 16);
        g2.Store(sums + 32);
        g3.Store(sums + 48);
        ApplyScalar(sums, 16, state);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply256(float* sums, float[] state)
    {
        var g0 = Vector256.Load(sums) + Vector256.Load(Bias);
        var g1 = Vector256.Load(sums + 8) + Vector256.Load(Bias + 8);
        var g2 = Vector256.Load(sums + 16) + Vector256.Load(Bias + 16);
        var g3 = Vector256.Load(sums + 24) + Vector256.Load(Bias + 24);
        ref float s = ref MemoryMarshal.GetArrayDataReference(state);
        if (ValidUnits == 8)
        {
            if (Cell == CellKind.Lstm)
            {
                var c = Vector256.LoadUnsafe(ref s, (nuint)COffset);
                c = VectorMath.Sigmoid(g1) * c + VectorMath.Sigmoid(g0) * VectorMath.Tanh(g2);
                c.StoreUnsafe(ref s, (nuint)COffset);
                (VectorMath.Sigmoid(g3) * VectorMath.Tanh(c)).StoreUnsafe(ref s, (nuint)HOffset);
            }
            else
            {
                var h = Vector256.LoadUnsafe(ref s, (nuint)HOffset);
                var r = VectorMath.Sigmoid(g0);
                var z = VectorMath.Sigmoid(g1);
                var n = VectorMath.Tanh(g2 + r * g3);
                (n + z * (h - n)).StoreUnsafe(ref s, (nuint)HOffset);
            }

            return;
        }

        g0.Store(sums);
        g1.Store(sums + 8);
        g2.Store(sums + 16);
        g3.Store(sums + 24);
        ApplyScalar(sums, 8, state);
    }

    /// <summary>The epilogue on raw gate sums (bias included) laid out [4, units]: partial blocks and the scalar path.</summary>
    public void ApplyScalar(float* gates, int units, float[] state)
    {
        for (int u = 0; u < ValidUnits; u++)
        {
            if (Cell == CellKind.Lstm)
            {
                float i = Activations.Sigmoid(gates[u]);
                float f = Activations.Sigmoid(gates[units + u]);
                float g = Activations.Tanh(gates[2 * units + u]);
                float o = Activations.Sigmoid(gates[3 * units + u]);
                float c = f * state[COffset + u] + i * g;
                state[COffset + u] = c;
                state[HOffset + u] = o * Activations.Tanh(c);
            }
            else
            {
                float r = Activations.Sigmoid(gates[u]);
                float z = Activations.Sigmoid(gates[units + u]);
                float n = Activations.Tanh(gates[2 * units + u] + r * gates[3 * units + u]);
                float h = state[HOffset + u];
                state[HOffset + u] = n + z * (h - n);
            }
        }
    }
}
