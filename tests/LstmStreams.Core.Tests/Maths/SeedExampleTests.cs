using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;
using MathNet.Numerics.LinearAlgebra;

namespace LstmStreams.Core.Tests.Maths;

/// <summary>The worked numbers of the seeds (shared/seeds), checked with correct arithmetic.</summary>
public sealed class SeedExampleTests
{
    private static readonly float[] XH = [1, 2, 3, 4, 5, 6];
    private static readonly float[,] WInput = { { 1, 1, 1, 1, 1, 1 }, { 2, 2, 2, 2, 2, 2 }, { 3, 3, 3, 3, 3, 3 } };
    private static readonly float[,] WForget = { { 1, 2, 3, 4, 5, 6 }, { 5, 6, 7, 8, 9, 10 }, { 3, 4, 5, 6, 7, 8 } };

    [Fact]
    public void Input_gate_preactivation_is_22_43_64_not_the_seeds_22_42_62()
    {
        var w = Matrix<float>.Build.DenseOfArray(WInput);
        var result = w * Vector<float>.Build.DenseOfArray(XH) + Vector<float>.Build.DenseOfArray([1f, 1f, 1f]);
        Assert.Equal([22f, 43f, 64f], result.ToArray());
        foreach (float z in result) Assert.Equal(1f, Activations.Sigmoid(z), 1e-6f);
    }

    [Fact]
    public void Forget_gate_preactivation_is_92_177_136()
    {
        var w = Matrix<float>.Build.DenseOfArray(WForget);
        var product = w * Vector<float>.Build.DenseOfArray(XH);
        Assert.Equal([91f, 175f, 133f], product.ToArray());
        Assert.Equal([92f, 177f, 136f], (product + Vector<float>.Build.DenseOfArray([1f, 2f, 3f])).ToArray());
    }

    [Fact]
    public void Hadamard_product_is_elementwise()
    {
        var a = Vector<float>.Build.DenseOfArray([1f, 2f, 3f]);
        var b = Vector<float>.Build.DenseOfArray([3f, 2f, 1f]);
        Assert.Equal([3f, 4f, 3f], a.PointwiseMultiply(b).ToArray());
    }

    [Fact]
    public void Seed004_separate_W_and_U_equal_one_matrix_on_the_concatenation()
    {
        var random = new Random(4);
        var w = Matrix<float>.Build.Dense(3, 2, (_, _) => (float)random.NextDouble() - 0.5f);
        var u = Matrix<float>.Build.Dense(3, 3, (_, _) => (float)random.NextDouble() - 0.5f);
        var x = Vector<float>.Build.DenseOfArray([0.3f, -1.2f]);
        var h = Vector<float>.Build.DenseOfArray([0.5f, 0.1f, -0.7f]);
        var separate = (w * x + u * h).Map(Activations.Sigmoid);
        var v = u.Append(w); // V = [U W], shape (3, 5)
        var hx = Vector<float>.Build.DenseOfEnumerable(h.Concat(x));
        var fused = (v * hx).Map(Activations.Sigmoid);
        Assert.Equal(3, fused.Count); // h_t has the size of h_{t-1}
        for (int i = 0; i < 3; i++) Assert.Equal(separate[i], fused[i], 1e-6f);
    }

    [Fact]
    public void ReferenceKernel_input_gate_sees_the_seed_preactivations()
    {
        // Scale W_i and b_i by s so σ does not saturate, make g = 1 and f = 0, and start from c = 0:
        // then c_t = i = σ(s·(W_i·[x;h] + b_i)) and logit(c_t)/s recovers [22, 43, 64].
        const float s = 0.01f;
        var weightIh = new float[12 * 3];
        var weightHh = new float[12 * 3];
        var bias = new float[12];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++)
            {
                weightIh[r * 3 + c] = s * WInput[r, c];
                weightHh[r * 3 + c] = s * WInput[r, 3 + c];
            }

            bias[r] = s * 1f;
            bias[3 + r] = -1e4f; // f = 0
            bias[6 + r] = 1e4f; // g = 1
            bias[9 + r] = 1e4f; // o = 1
        }

        var model = new RecurrentModel(CellKind.Lstm, [new RecurrentLayer(CellKind.Lstm, 3, 3, weightIh, weightHh, bias, null)], null);
        using var kernel = new ReferenceKernel(model, 1);
        float[] state = [4, 5, 6, 0, 0, 0]; // h = [4, 5, 6], c = 0
        var output = new float[3];
        kernel.Step([1f, 2f, 3f], [state], output);
        float[] expected = [22, 43, 64];
        for (int j = 0; j < 3; j++)
        {
            float c = state[3 + j];
            Assert.Equal(expected[j], MathF.Log(c / (1 - c)) / s, 0.01f);
            Assert.Equal(MathF.Tanh(c), output[j], 1e-6f);
        }
    }
}
