using LstmStreams.Core.Kernels;
using LstmStreams.Core.Kernels.OpenBlas;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Tests.Kernels;

/// <summary>A fact that runs only where libopenblas.so.0 is installed (apt-get install libopenblas0).</summary>
public sealed class OpenBlasFactAttribute : FactAttribute
{
    public OpenBlasFactAttribute()
    {
        if (!OpenBlasKernel.IsAvailable) Skip = "libopenblas.so.0 is not installed (apt-get install libopenblas0)";
    }
}

public sealed class OpenBlasKernelTests
{
    [OpenBlasFact]
    public void OpenBlas_equals_reference_on_random_models_and_batches()
    {
        foreach (var (cell, input, hidden, layers, output, activation, bias) in new (CellKind, int, int, int, int?, HeadActivation, bool)[]
                 {
                     (CellKind.Lstm, 3, 5, 1, 2, HeadActivation.Sigmoid, true),
                     (CellKind.Lstm, 8, 37, 3, null, HeadActivation.Identity, false),
                     (CellKind.Gru, 4, 21, 2, 3, HeadActivation.Softmax, true),
                     (CellKind.Gru, 8, 64, 1, 1, HeadActivation.Tanh, true),
                 })
        {
            var model = RandomModels.Create(cell, input, hidden, layers, output, activation, bias, seed: hidden);
            using var reference = new ReferenceKernel(model, 70);
            using var blas = StepKernels.Create(model, KernelBackend.OpenBlas, 70);
            var random = new Random(hidden);
            var refStates = Enumerable.Range(0, 70).Select(_ => model.NewState()).ToArray();
            var ourStates = Enumerable.Range(0, 70).Select(_ => model.NewState()).ToArray();
            foreach (int batch in new[] { 1, 7, 70, 33 })
            {
                var x = RandomModels.Inputs(random, batch * input, 3f);
                var refOut = new float[batch * model.OutputSize];
                var ourOut = new float[batch * model.OutputSize];
                reference.Step(x, refStates.AsSpan(0, batch), refOut);
                blas.Step(x, ourStates.AsSpan(0, batch), ourOut);
                for (int i = 0; i < refOut.Length; i++)
                    Assert.True(Math.Abs(refOut[i] - ourOut[i]) <= 1e-5, $"{cell} H={hidden} batch {batch}: output {i} {ourOut[i]} vs {refOut[i]}");
                for (int s = 0; s < batch; s++)
                    for (int i = 0; i < model.StateSize; i++)
                        Assert.True(Math.Abs(refStates[s][i] - ourStates[s][i]) <= 1e-5, $"{cell} H={hidden}: state {i} of sequence {s}");
            }
        }
    }

    [Fact]
    public void OpenBlas_is_a_known_backend_that_is_never_the_default()
    {
        Assert.Equal(KernelBackend.OpenBlas, StepKernels.Parse("openblas"));
        Assert.Contains("openblas", StepKernels.Names);
        var model = RandomModels.Create(CellKind.Lstm, 2, 4, 1, null);
        using var auto = StepKernels.Create(model, KernelBackend.Auto, 4);
        Assert.StartsWith("managed", auto.Name);
        if (!OpenBlasKernel.IsAvailable)
        {
            var error = Assert.Throws<PlatformNotSupportedException>(() => StepKernels.Create(model, KernelBackend.OpenBlas, 4));
            Assert.Contains("apt-get install libopenblas0", error.Message);
        }
    }
}
