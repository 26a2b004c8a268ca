using LstmStreams.Core.Kernels;
using LstmStreams.Core.Kernels.Managed;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Tests.Kernels;

/// <summary>
/// The managed kernel's projection on widths the PyTorch fixtures (P = 3, 4) do not reach: P = 40 and 75 take its
/// four-vector, one-vector and scalar paths. Every SIMD level and thread split agrees with the reference kernel
/// within 1e-5 on outputs and on the whole state (h [P], c [H]), interleaved batches of every size.
/// </summary>
public sealed class ProjectionKernelTests
{
    [Theory]
    [MemberData(nameof(ManagedKernelTests.Paths), MemberType = typeof(ManagedKernelTests))]
    public void A_wide_projection_on_the_managed_kernel_equals_the_reference(SimdLevel simd, int threads)
    {
        foreach (var (hidden, projection) in new[] { (80, 40), (80, 75), (24, 17) })
        {
            var model = Projected(5, hidden, projection, layers: 2, seed: hidden + projection);
            const int sequences = 13;
            using var reference = new ReferenceKernel(model, sequences);
            using var managed = ManagedKernelTests.Create(model, sequences, simd, threads);
            var random = new Random(projection);
            var refStates = Enumerable.Range(0, sequences).Select(_ => model.NewState()).ToArray();
            var ourStates = Enumerable.Range(0, sequences).Select(_ => model.NewState()).ToArray();
            for (int t = 0; t < 25; t++)
            {
                var live = Enumerable.Range(0, sequences).Where(_ => random.NextDouble() < 0.7).ToArray();
                var inputs = Enumerable.Range(0, live.Length * model.InputSize).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
                var refOut = new float[live.Length * model.OutputSize];
                var ourOut = new float[live.Length * model.OutputSize];
                reference.Step(inputs, live.Select(s => refStates[s]).ToArray(), refOut);
                managed.Step(inputs, live.Select(s => ourStates[s]).ToArray(), ourOut);
                for (int i = 0; i < refOut.Length; i++)
                    Assert.True(Math.Abs(refOut[i] - ourOut[i]) <= 1e-5, $"H={hidden} P={projection} step {t}: output {i} {ourOut[i]} vs {refOut[i]}");
                foreach (int s in live)
                    for (int i = 0; i < model.StateSize; i++)
                        Assert.True(Math.Abs(refStates[s][i] - ourStates[s][i]) <= 1e-5, $"H={hidden} P={projection} step {t}: state {i} of sequence {s}");
            }
        }
    }

    [Fact]
    public void The_openblas_backend_runs_a_projected_model_on_the_managed_kernel()
    {
        var model = Projected(3, 8, 3, layers: 1, seed: 1);
        using var kernel = StepKernels.Create(model, KernelBackend.OpenBlas, 4);
        Assert.StartsWith("managed-", kernel.Name);
    }

    private static RecurrentModel Projected(int input, int hidden, int projection, int layers, int seed)
    {
        var random = new Random(seed);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5) * 0.6f).ToArray();
        var list = new List<RecurrentLayer>();
        for (int k = 0; k < layers; k++)
        {
            int width = k == 0 ? input : projection;
            list.Add(new RecurrentLayer(CellKind.Lstm, width, hidden, Values(4 * hidden * width), Values(4 * hidden * projection),
                Values(4 * hidden), Values(4 * hidden), Values(projection * hidden)));
        }

        return new RecurrentModel(CellKind.Lstm, list, null);
    }
}
