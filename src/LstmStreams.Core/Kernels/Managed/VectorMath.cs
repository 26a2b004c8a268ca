using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// Vectorised σ and tanh, safe at ±∞ (σ → 0/1, tanh → ±1, never NaN for non-NaN input).
/// tanh uses the Cephes odd polynomial below |x| &lt; 0.625 (no cancellation near 0) and
/// 1 − 2/(e^{2|x|} + 1) above. Measured against MathF: see <c>VectorMathTests</c>.
/// </summary>
internal static class VectorMath
{
    private const float SmallTanh = 0.625f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x) =>
        Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) =>
        Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        var z = x * x;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(-5.70498872745e-3f), z, Vector512.Create(2.06390887954e-2f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-5.37397155531e-2f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.33314422036e-1f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-3.33332819422e-1f));
        var small = Vector512.FusedMultiplyAdd(p * z, x, x);
        var abs = Vector512.Abs(x);
        var large = Vector512<float>.One - Vector512.Create(2f) / (Vector512.Exp(abs + abs) + Vector512<float>.One);
        large = Vector512.ConditionalSelect(Vector512.Create(-0.0f), x, large); // copy the sign of x
        return Vector512.ConditionalSelect(Vector512.LessThan(abs, Vector512.Create(SmallTanh)), small, large);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var z = x * x;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(-5.70498872745e-3f), z, Vector256.Create(2.06390887954e-2f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(-5.37397155531e-2f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(1.33314422036e-1f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(-3.33332819422e-1f));
        var small = Vector256.FusedMultiplyAdd(p * z, x, x);
        var abs = Vector256.Abs(x);
        var large = Vector256<float>.One - Vector256.Create(2f) / (Vector256.Exp(abs + abs) + Vector256<float>.One);
        large = Vector256.ConditionalSelect(Vector256.Create(-0.0f), x, large);
        return Vector256.ConditionalSelect(Vector256.LessThan(abs, Vector256.Create(SmallTanh)), small, large);
    }
}
