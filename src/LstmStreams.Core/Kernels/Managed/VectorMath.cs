using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// Vectorised σ and tanh in single precision, safe at ±∞ (σ → 0/1, tanh → ±1, never NaN for non-NaN input).
/// Both go through e^−|x| ∈ (0, 1], which cannot overflow: σ(x) = 1/(1+e) for x ≥ 0 and e/(1+e) below
/// (no cancellation on either side); tanh uses the Cephes odd polynomial for |x| &lt; 0.625 (no cancellation
/// near 0) and (1 − e²)/(1 + e²) above. e^y for y ≤ 0 is Cephes expf: y = n·ln2 + r (Cody–Waite), a degree-6
/// polynomial for e^r, and 2^n built in the exponent bits; below −87.3 it is 0.
/// Measured against double-precision σ and tanh: see <c>VectorMathTests</c> and docs/KERNEL.md.
/// </summary>
internal static class VectorMath
{
    private const float SmallTanh = 0.625f;
    private const float ExpFloor = -87.33f; // e^y is 0 below this (2^n stays a normal float above it)
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    private const float T0 = -5.70498872745e-3f, T1 = 2.06390887954e-2f, T2 = -5.37397155531e-2f, T3 = 1.33314422036e-1f, T4 = -3.33332819422e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x)
    {
        var e = ExpNonPositive(-Vector512.Abs(x));
        var r = Vector512<float>.One / (Vector512<float>.One + e);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), e * r, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
    {
        var e = ExpNonPositive(-Vector256.Abs(x));
        var r = Vector256<float>.One / (Vector256<float>.One + e);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), e * r, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        var abs = Vector512.Abs(x);
        var z = x * x;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(T0), z, Vector512.Create(T1));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(T2));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(T3));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(T4));
        var small = Vector512.FusedMultiplyAdd(p * z, abs, abs);
        var e = ExpNonPositive(-(abs + abs));
        var large = (Vector512<float>.One - e) / (Vector512<float>.One + e);
        var magnitude = Vector512.ConditionalSelect(Vector512.LessThan(abs, Vector512.Create(SmallTanh)), small, large);
        return Vector512.ConditionalSelect(Vector512.Create(-0.0f), x, magnitude); // the sign of x, −0 included
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var abs = Vector256.Abs(x);
        var z = x * x;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(T0), z, Vector256.Create(T1));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(T2));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(T3));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(T4));
        var small = Vector256.FusedMultiplyAdd(p * z, abs, abs);
        var e = ExpNonPositive(-(abs + abs));
        var large = (Vector256<float>.One - e) / (Vector256<float>.One + e);
        var magnitude = Vector256.ConditionalSelect(Vector256.LessThan(abs, Vector256.Create(SmallTanh)), small, large);
        return Vector256.ConditionalSelect(Vector256.Create(-0.0f), x, magnitude);
    }

    /// <summary>e^y for y ≤ 0 (−∞ included): 0 below −87.33, within 2 ulp elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpNonPositive(Vector512<float> y)
    {
        var underflow = Vector512.LessThan(y, Vector512.Create(ExpFloor));
        y = Vector512.Max(y, Vector512.Create(ExpFloor));
        var n = Vector512.Round(y * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), y);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), r);
        var q = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        q = Vector512.FusedMultiplyAdd(q, r, Vector512.Create(P2));
        q = Vector512.FusedMultiplyAdd(q, r, Vector512.Create(P3));
        q = Vector512.FusedMultiplyAdd(q, r, Vector512.Create(P4));
        q = Vector512.FusedMultiplyAdd(q, r, Vector512.Create(P5));
        q = Vector512.FusedMultiplyAdd(q, r * r, r) + Vector512<float>.One;
        var scale = (Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23;
        return Vector512.AndNot(q * scale.AsSingle(), underflow.AsSingle());
    }

    /// <summary>e^y for y ≤ 0 (−∞ included): 0 below −87.33, within 2 ulp elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpNonPositive(Vector256<float> y)
    {
        var underflow = Vector256.LessThan(y, Vector256.Create(ExpFloor));
        y = Vector256.Max(y, Vector256.Create(ExpFloor));
        var n = Vector256.Round(y * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2High), y);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Low), r);
        var q = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        q = Vector256.FusedMultiplyAdd(q, r, Vector256.Create(P2));
        q = Vector256.FusedMultiplyAdd(q, r, Vector256.Create(P3));
        q = Vector256.FusedMultiplyAdd(q, r, Vector256.Create(P4));
        q = Vector256.FusedMultiplyAdd(q, r, Vector256.Create(P5));
        q = Vector256.FusedMultiplyAdd(q, r * r, r) + Vector256<float>.One;
        var scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return Vector256.AndNot(q * scale.AsSingle(), underflow.AsSingle());
    }
}
