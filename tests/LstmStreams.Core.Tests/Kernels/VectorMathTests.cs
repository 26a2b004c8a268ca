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
    public void Vector_sigmoid_and_tanh_match_MathF_within_2e6_relative()
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
        Assert.True(worstSigmoid <= 2e-6, $"sigmoid {worstSigmoid:E2}");
        Assert.True(worstTanh <= 2e-6, $"tanh {worstTanh:E2}");
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
    }

    private static double Relative(float value, double reference) =>
        Math.Abs(reference) < 1e-30 ? Math.Abs(value - reference) : Math.Abs(value - reference) / Math.Abs(reference);
}
