using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Tests.Maths;

public sealed class ReferenceKernelTests
{
    public static TheoryData<CellKind, int, int, int, int?, HeadActivation, bool> Shapes => new()
    {
        { CellKind.Lstm, 3, 5, 1, null, HeadActivation.Identity, true },
        { CellKind.Lstm, 4, 6, 2, 2, HeadActivation.Sigmoid, true },
        { CellKind.Lstm, 5, 4, 3, 3, HeadActivation.Softmax, false },
        { CellKind.Gru, 3, 5, 1, null, HeadActivation.Identity, true },
        { CellKind.Gru, 4, 7, 2, 2, HeadActivation.Tanh, true },
        { CellKind.Gru, 2, 3, 3, 1, HeadActivation.Identity, false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fused_kernel_equals_separate_W_x_plus_U_h(CellKind cell, int input, int hidden, int layers, int? output, HeadActivation activation, bool bias)
    {
        var model = RandomModels.Create(cell, input, hidden, layers, output, activation, bias, seed: input * 31 + hidden);
        using var kernel = new ReferenceKernel(model, 1);
        var random = new Random(7);
        var fusedState = model.NewState();
        var separateState = model.NewState();
        var fusedOut = new float[model.OutputSize];
        var separateOut = new float[model.OutputSize];
        for (int t = 0; t < 30; t++)
        {
            var x = RandomModels.Inputs(random, input);
            kernel.Step(x, [fusedState], fusedOut);
            SeparateFormOracle.Step(model, x, separateState, separateOut);
            for (int o = 0; o < fusedOut.Length; o++) Assert.Equal(separateOut[o], fusedOut[o], 1e-5f);
            for (int s = 0; s < fusedState.Length; s++) Assert.Equal(separateState[s], fusedState[s], 1e-5f);
        }
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void Huge_inputs_saturate_without_NaN(CellKind cell)
    {
        var model = RandomModels.Create(cell, 4, 6, 2, 2, HeadActivation.Softmax, scale: 3f);
        using var kernel = new ReferenceKernel(model, 4);
        var states = new[] { model.NewState(), model.NewState(), model.NewState() };
        var output = new float[3 * model.OutputSize];
        foreach (float magnitude in new[] { 1e4f, -1e4f, 1e6f, -1e6f, 50f })
        {
            var x = new float[3 * 4];
            for (int i = 0; i < x.Length; i++) x[i] = i % 2 == 0 ? magnitude : -magnitude;
            kernel.Step(x, states, output);
            foreach (var state in states)
            {
                for (int j = 0; j < model.HiddenSize; j++)
                {
                    float h = state[model.HiddenOffset(1) + j];
                    Assert.False(float.IsNaN(h));
                    Assert.InRange(h, -1f, 1f);
                }
            }

            foreach (float y in output) Assert.True(float.IsFinite(y), $"output {y} for input magnitude {magnitude}");
        }
    }

    [Fact]
    public void Activations_are_safe_at_the_extremes()
    {
        Assert.Equal(1f, Activations.Sigmoid(1e4f));
        Assert.Equal(0f, Activations.Sigmoid(-1e4f));
        Assert.Equal(1f, Activations.Sigmoid(float.PositiveInfinity));
        Assert.Equal(0f, Activations.Sigmoid(float.NegativeInfinity));
        Assert.Equal(1f, Activations.Tanh(1e4f));
        Assert.Equal(-1f, Activations.Tanh(-1e4f));
        Span<float> logits = [1e4f, 0f, -1e4f];
        Activations.Softmax(logits);
        Assert.Equal([1f, 0f, 0f], logits.ToArray());
    }

    [Fact]
    public void Step_rejects_wrong_shapes_with_a_message_naming_both()
    {
        var model = RandomModels.Create(CellKind.Lstm, 3, 4, 1, 2);
        using var kernel = new ReferenceKernel(model, 2);
        var output = new float[4];
        var error = Assert.Throws<ArgumentException>(() => kernel.Step(new float[5], [model.NewState(), model.NewState()], output));
        Assert.Contains("[2, 3]", error.Message);
        Assert.Throws<ArgumentException>(() => kernel.Step(new float[3], [new float[3]], output));
        Assert.Throws<ArgumentOutOfRangeException>(() => kernel.Step(new float[9], [model.NewState(), model.NewState(), model.NewState()], new float[6]));
    }
}
