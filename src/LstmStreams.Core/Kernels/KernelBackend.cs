using LstmStreams.Core.Kernels.Managed;
using LstmStreams.Core.Kernels.OpenBlas;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Kernels;

/// <summary>Which implementation of <see cref="IStepKernel"/> to use.</summary>
public enum KernelBackend
{
    /// <summary>The fastest backend available on this machine (the managed SIMD kernel).</summary>
    Auto,

    /// <summary>The fused SIMD kernel in managed code (AVX-512, AVX2 or scalar, chosen at start).</summary>
    Managed,

    /// <summary>The MathNet.Numerics reference kernel: readable, slow, the oracle.</summary>
    Reference,

    /// <summary>The system's OpenBLAS sgemm with the managed epilogue; needs libopenblas.so.0 (optional).
    /// A projected LSTM (proj_size &gt; 0) runs on the managed kernel instead.</summary>
    OpenBlas,
}

/// <summary>Creates kernels by backend name.</summary>
public static class StepKernels
{
    /// <summary>The backend names accepted in config and on the command line.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "managed", "reference", "openblas"];

    /// <summary>Whether <paramref name="backend"/> can run here (openblas needs libopenblas.so.0; the others always can).</summary>
    public static bool IsAvailable(KernelBackend backend) => backend != KernelBackend.OpenBlas || OpenBlasKernel.IsAvailable;

    /// <summary>Parses a backend name; throws a message listing the valid names.</summary>
    public static KernelBackend Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "auto" => KernelBackend.Auto,
        "managed" => KernelBackend.Managed,
        "reference" => KernelBackend.Reference,
        "openblas" => KernelBackend.OpenBlas,
        _ => throw new ArgumentException($"unknown kernel backend '{name}'; use one of: {string.Join(", ", Names)}."), // a user's input: no parameter name in the message
    };

    /// <summary>
    /// Creates a kernel for <paramref name="model"/> able to step up to <paramref name="maxBatchSize"/> sequences at once.
    /// When the model carries scaling (<see cref="RecurrentModel.Scaling"/>), the kernel is wrapped in a
    /// <see cref="ScaledKernel"/>: it takes raw inputs and gives raw predictions. Use
    /// <see cref="RecurrentModel.WithoutScaling"/> for a kernel that takes and gives the model's own units.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="backend">Which implementation.</param>
    /// <param name="maxBatchSize">The largest batch.</param>
    /// <param name="threads">Threads for the managed and OpenBLAS kernels (0: min(2, cores)).</param>
    /// <remarks>openblas with a projected LSTM (proj_size &gt; 0) gives the managed kernel: the OpenBLAS kernel has no projection.</remarks>
    /// <exception cref="PlatformNotSupportedException">openblas without libopenblas.so.0 (the message says how to install it).</exception>
    public static IStepKernel Create(RecurrentModel model, KernelBackend backend, int maxBatchSize, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        IStepKernel kernel = backend switch
        {
            KernelBackend.Auto or KernelBackend.Managed => new ManagedKernel(model, maxBatchSize, threads),
            KernelBackend.OpenBlas when model.HasProjection => new ManagedKernel(model, maxBatchSize, threads),
            KernelBackend.Reference => new ReferenceKernel(model, maxBatchSize),
            KernelBackend.OpenBlas => new OpenBlasKernel(model, maxBatchSize, threads),
            _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, "unknown kernel backend"),
        };
        return model.Scaling.ChangesNumbers ? new ScaledKernel(kernel) : kernel;
    }
}
