using FsCheck;
using FsCheck.Fluent;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Tests.Maths;

/// <summary>Batching is invisible: any subset of sequences in any order steps exactly as each would alone.</summary>
public sealed class BatchedStepTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 2, 3)]
    [InlineData(CellKind.Gru, 1, 11)]
    [InlineData(CellKind.Lstm, 3, 29)]
    public void Batched_step_equals_stepping_each_sequence_alone(CellKind cell, int layers, int seed)
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), runSeed => CheckOneSchedule(cell, layers, seed, runSeed))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(25));
    }

    private static void CheckOneSchedule(CellKind cell, int layers, int modelSeed, int runSeed)
    {
        const int sequences = 40, input = 5;
        var model = RandomModels.Create(cell, input, 7, layers, 3, HeadActivation.Sigmoid, seed: modelSeed);
        var random = new Random(runSeed);
        using var batched = new ReferenceKernel(model, sequences);
        using var alone = new ReferenceKernel(model, 1);
        var batchedStates = new float[sequences][];
        var aloneStates = new float[sequences][];
        for (int s = 0; s < sequences; s++)
        {
            batchedStates[s] = model.NewState();
            aloneStates[s] = model.NewState();
        }

        var aloneOut = new float[model.OutputSize];
        for (int round = 0; round < 8; round++)
        {
            // A random subset of the live sequences, in random order.
            var chosen = Enumerable.Range(0, sequences).Where(_ => random.Next(3) > 0).OrderBy(_ => random.Next()).ToArray();
            var x = RandomModels.Inputs(random, chosen.Length * input);
            var states = chosen.Select(s => batchedStates[s]).ToArray();
            var output = new float[chosen.Length * model.OutputSize];
            batched.Step(x, states, output);
            for (int b = 0; b < chosen.Length; b++)
            {
                alone.Step(x.AsSpan(b * input, input), [aloneStates[chosen[b]]], aloneOut);
                for (int o = 0; o < model.OutputSize; o++)
                    Assert.Equal(aloneOut[o], output[b * model.OutputSize + o], 1e-6f);
            }
        }

        for (int s = 0; s < sequences; s++)
            for (int i = 0; i < model.StateSize; i++)
                Assert.Equal(aloneStates[s][i], batchedStates[s][i], 1e-6f);
    }
}
