using System.Runtime.Intrinsics;
using LstmStreams.Core.Kernels.Managed;
using Xunit.Abstractions;

namespace LstmStreams.Core.Tests.Kernels;

public sealed class VectorMathTests(ITestOutputHelper output)
{
    private static IEnumerable<float> Sweep()
    {
        for (double x = -30; x <= 30; x += 0.000731) yield return (float)x;
        foreach (float x in new[] { 0f, -0f, 1e-30f, -1e-30f, 1e-7f, -1e-7f, 0.6249f, 0.6251f, 88f, -88f, 89f, -104f, 1e4f, -1e4f, 3e38f, -3e38f })
            yield return x;
    }

    [Fact]
    public void Vector_sigmoid_and_tanh_match_double_precision_within_5e7_relative()
    {
        if (!Vector256.IsHardwareAccelerated) return;
        double worstSigmoid = 0, worstTanh = 0;
        foreach (float x in Sweep())
        {
            float s = VectorMath.Sigmoid(Vector256.Create(x)).ToScalar();
            float t = VectorMath.Tanh(Vector256.Create(x)).ToScalar();
            double refS = 1 / (1 + Math.Exp(-(double)x)), refT = Math.Tanh(x);
            worstSigmoid = Math.Max(worstSigmoid, Relative(s, refS));
            worstTanh = Math.Max(worstTanh, Relative(t, refT));
            if (Vector512.IsHardwareAccelerated)
            {
                Assert.Equal(s, VectorMath.Sigmoid(Vector512.Create(x)).ToScalar());
                Assert.Equal(t, VectorMath.Tanh(Vector512.Create(x)).ToScalar());
            }
        }

        output.WriteLine($"max relative error: sigmoid {worstSigmoid:E2}, tanh {worstTanh:E2}");
        Assert.True(worstSigmoid <= 5e-7, $"sigmoid {worstSigmoid:E2}"); // measured 1.7e-7
        Assert.True(worstTanh <= 5e-7, $"tanh {worstTanh:E2}"); // measured 1.3e-7
    }

    [Fact]
    public void Vector_activations_are_exact_at_the_limits()
    {
        if (!Vector256.IsHardwareAccelerated) return;
        Assert.Equal(1f, VectorMath.Sigmoid(Vector256.Create(float.PositiveInfinity)).ToScalar());
        Assert.Equal(0f, VectorMath.Sigmoid(Vector256.Create(float.NegativeInfinity)).ToScalar());
        Assert.Equal(1f, VectorMath.Tanh(Vector256.Create(float.PositiveInfinity)).ToScalar());
        Assert.Equal(-1f, VectorMath.Tanh(Vector256.Create(float.NegativeInfinity)).ToScalar());
        Assert.Equal(1f, VectorMath.Tanh(Vector256.Create(1e4f)).ToScalar());
        Assert.Equal(0f, VectorMath.Sigmoid(Vector256.Create(-1e4f)).ToScalar());
        Assert.Equal(0.5f, VectorMath.Sigmoid(Vector256.Create(-0f)).ToScalar());
        Assert.Equal(0f, VectorMath.Tanh(Vector256.Create(0f)).ToScalar());
        Assert.True(float.IsNegative(VectorMath.Tanh(Vector256.Create(-0f)).ToScalar()), "tanh(−0) keeps its sign");
        Assert.Equal(0f, VectorMath.ExpNonPositive(Vector256.Create(float.NegativeInfinity)).ToScalar());
        Assert.Equal(1f, VectorMath.ExpNonPositive(Vector256.Create(0f)).ToScalar());
    }

    [Fact]
    public void Vector_exp_of_non_positive_inputs_matches_double_precision_within_3e7_relative()
    {
        if (!Vector256.IsHardwareAccelerated) return;
        double worst = 0;
        for (double y = -87.3; y <= 0; y += 0.000917)
        {
            float e = VectorMath.ExpNonPositive(Vector256.Create((float)y)).ToScalar();
            worst = Math.Max(worst, Relative(e, Math.Exp((float)y)));
        }

        output.WriteLine($"max relative error: exp {worst:E2}");
        Assert.True(worst <= 3e-7, $"exp {worst:E2}");
    }

    [Fact]
    public void Vector_activations_never_return_NaN_for_huge_inputs()
    {
        if (!Vector256.IsHardwareAccelerated) return;
        foreach (float x in new[] { float.MaxValue, -float.MaxValue, 1e30f, -1e30f, 1e4f, -1e4f, float.PositiveInfinity, float.NegativeInfinity })
        {
            Assert.InRange(VectorMath.Sigmoid(Vector256.Create(x)).ToScalar(), 0f, 1f);
            Assert.InRange(VectorMath.Tanh(Vector256.Create(x)).ToScalar(), -1f, 1f);
        }
    }

    private static double Relative(float value, double reference) =>
        Math.Abs(reference) < 1e-30 ? Math.Abs(value - reference) : Math.Abs(value - reference) / Math.Abs(reference);
}
