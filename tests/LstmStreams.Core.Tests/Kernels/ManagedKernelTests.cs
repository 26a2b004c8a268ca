using LstmStreams.Core.Kernels;
using LstmStreams.Core.Kernels.Managed;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Tests.Kernels;

/// <summary>The fast kernel equals the MathNet reference on every SIMD path, thread count and shape.</summary>
public sealed class ManagedKernelTests
{
    /// <summary>Every SIMD level the machine has × one thread, two threads by rows, two threads by blocks (as threads 1, 2, 3).</summary>
    public static TheoryData<SimdLevel, int> Paths()
    {
        var data = new TheoryData<SimdLevel, int>();
        var levels = new List<SimdLevel> { SimdLevel.Scalar };
        if (SimdSupport.Avx2) levels.Add(SimdLevel.Avx2);
        if (SimdSupport.Avx512) levels.Add(SimdLevel.Avx512);
        foreach (var level in levels)
        {
            data.Add(level, 1);
            data.Add(level, 2);
            data.Add(level, 3);
        }

        return data;
    }

    private static readonly (CellKind Cell, int Input, int Hidden, int Layers, int? Output, HeadActivation Activation, bool Bias)[] Shapes =
    [
        (CellKind.Lstm, 3, 5, 1, 2, HeadActivation.Sigmoid, true),
        (CellKind.Lstm, 8, 64, 2, 1, HeadActivation.Identity, true),
        (CellKind.Lstm, 5, 37, 3, 3, HeadActivation.Softmax, false),
        (CellKind.Lstm, 8, 16, 1, null, HeadActivation.Identity, true),
        (CellKind.Gru, 3, 5, 1, null, HeadActivation.Identity, true),
        (CellKind.Gru, 8, 48, 2, 2, HeadActivation.Tanh, true),
        (CellKind.Gru, 4, 21, 2, 1, HeadActivation.Identity, false),
        (CellKind.Lstm, 1, 1, 1, null, HeadActivation.Identity, true),
        (CellKind.Lstm, 11, 100, 2, 4, HeadActivation.Tanh, true),
        (CellKind.Gru, 8, 33, 3, 5, HeadActivation.Softmax, true),
    ];

    /// <summary>threads 1: one thread; 2: two, by chunks of rows; 3: two, by column blocks (even for tiny steps).</summary>
    internal static ManagedKernel Create(RecurrentModel model, int maxBatch, SimdLevel simd, int threads) =>
        new(model, maxBatch, Math.Min(threads, 2), simd) { Split = threads switch { 1 => ThreadSplit.Auto, 2 => ThreadSplit.Rows, _ => ThreadSplit.Blocks } };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Managed_equals_reference_on_random_models_batches_and_subsets(SimdLevel simd, int threads)
    {
        foreach (var shape in Shapes)
        {
            var model = RandomModels.Create(shape.Cell, shape.Input, shape.Hidden, shape.Layers, shape.Output, shape.Activation, shape.Bias, seed: shape.Hidden);
            const int sequences = 150;
            using var reference = new ReferenceKernel(model, sequences);
            using var managed = Create(model, sequences, simd, threads);
            var random = new Random(shape.Hidden + threads);
            var refStates = Enumerable.Range(0, sequences).Select(_ => model.NewState()).ToArray();
            var ourStates = Enumerable.Range(0, sequences).Select(_ => model.NewState()).ToArray();
            foreach (int batch in new[] { 1, 2, 7, 13, 64, 150, 97 })
            {
                var chosen = Enumerable.Range(0, sequences).OrderBy(_ => random.Next()).Take(batch).ToArray();
                var x = RandomModels.Inputs(random, batch * shape.Input, 3f);
                var refOut = new float[batch * model.OutputSize];
                var ourOut = new float[batch * model.OutputSize];
                reference.Step(x, chosen.Select(s => refStates[s]).ToArray(), refOut);
                managed.Step(x, chosen.Select(s => ourStates[s]).ToArray(), ourOut);
                for (int i = 0; i < refOut.Length; i++)
                    Assert.True(Math.Abs(refOut[i] - ourOut[i]) <= 1e-5, $"{shape} {simd}/{threads} batch {batch}: output {i} {ourOut[i]} vs reference {refOut[i]}");
                foreach (int s in chosen)
                    for (int i = 0; i < model.StateSize; i++)
                        Assert.True(Math.Abs(refStates[s][i] - ourStates[s][i]) <= 1e-5, $"{shape} {simd}/{threads}: state {i} of sequence {s}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Managed_saturates_without_NaN(SimdLevel simd, int threads)
    {
        var model = RandomModels.Create(CellKind.Lstm, 4, 32, 2, 2, HeadActivation.Softmax, scale: 3f);
        using var kernel = Create(model, 64, simd, threads);
        var states = Enumerable.Range(0, 64).Select(_ => model.NewState()).ToArray();
        var y = new float[64 * 2];
        foreach (float magnitude in new[] { 1e4f, -1e4f, 1e6f, 50f })
        {
            var x = Enumerable.Range(0, 64 * 4).Select(i => i % 3 == 0 ? magnitude : -magnitude).ToArray();
            kernel.Step(x, states, y);
            Assert.All(y, v => Assert.True(float.IsFinite(v)));
            Assert.All(states, s => Assert.All(s.AsSpan(0, 32).ToArray(), h => Assert.InRange(h, -1f, 1f)));
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Managed_steps_the_same_state_whatever_the_batch_it_is_in(SimdLevel simd, int threads)
    {
        var model = RandomModels.Create(CellKind.Lstm, 5, 40, 2, 3, HeadActivation.Sigmoid, seed: 7);
        const int sequences = 97;
        using var kernel = Create(model, sequences, simd, threads);
        var random = new Random(3);
        var x = RandomModels.Inputs(random, sequences * model.InputSize);
        var together = Enumerable.Range(0, sequences).Select(_ => model.NewState()).ToArray();
        var alone = Enumerable.Range(0, sequences).Select(_ => model.NewState()).ToArray();
        var y = new float[sequences * model.OutputSize];
        var one = new float[model.OutputSize];
        for (int step = 0; step < 3; step++)
        {
            kernel.Step(x, together, y);
            for (int s = 0; s < sequences; s++)
            {
                kernel.Step(x.AsSpan(s * model.InputSize, model.InputSize), [alone[s]], one);
                Assert.Equal(y.AsSpan(s * model.OutputSize, model.OutputSize).ToArray(), one);
            }
        }

        for (int s = 0; s < sequences; s++) Assert.Equal(together[s], alone[s]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Managed_two_threads_survive_many_back_to_back_and_spaced_steps(int threads)
    {
        var model = RandomModels.Create(CellKind.Gru, 8, 64, 2, null);
        using var reference = new ReferenceKernel(model, 256);
        using var managed = Create(model, 256, SimdLevel.Auto, threads);
        var refStates = Enumerable.Range(0, 256).Select(_ => model.NewState()).ToArray();
        var ourStates = Enumerable.Range(0, 256).Select(_ => model.NewState()).ToArray();
        var random = new Random(11);
        var y = new float[256 * 64];
        for (int step = 0; step < 400; step++)
        {
            int batch = 2 + random.Next(255);
            var x = RandomModels.Inputs(random, batch * 8);
            reference.Step(x, refStates.AsSpan(0, batch), y);
            managed.Step(x, ourStates.AsSpan(0, batch), y);
            if (step % 100 == 99) Thread.Sleep(5); // let the worker fall asleep and be woken again
        }

        for (int s = 0; s < 256; s++)
            for (int i = 0; i < model.StateSize; i++)
                Assert.True(Math.Abs(refStates[s][i] - ourStates[s][i]) <= 1e-5, $"state {i} of sequence {s}");
    }

    [Fact]
    public void Managed_rejects_a_step_after_dispose()
    {
        var model = RandomModels.Create(CellKind.Lstm, 2, 4, 1, null);
        var kernel = Create(model, 4, SimdLevel.Auto, 2);
        kernel.Dispose();
        kernel.Dispose();
        Assert.Throws<ObjectDisposedException>(() => kernel.Step(new float[2], [model.NewState()], new float[4]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Managed_step_allocates_nothing(int threads)
    {
        var model = RandomModels.Create(CellKind.Lstm, 8, 64, 2, 3, HeadActivation.Softmax);
        using var kernel = Create(model, 64, SimdLevel.Auto, threads);
        var states = Enumerable.Range(0, 64).Select(_ => model.NewState()).ToArray();
        var x = RandomModels.Inputs(new Random(5), 64 * 8);
        var y = new float[64 * 3];
        for (int i = 0; i < 50; i++) kernel.Step(x, states, y); // warm up: JIT, worker thread started
        Allocations.AssertNone(() => kernel.Step(x, states, y));
    }
}
