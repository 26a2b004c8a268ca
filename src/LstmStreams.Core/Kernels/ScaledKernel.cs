using System.Diagnostics;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Kernels;

/// <summary>
/// Wraps a kernel with the standardization its model was trained with (<see cref="RecurrentModel.Scaling"/>):
/// each input is fed as <c>x' = (x − mean) / std</c> and each prediction returned as <c>y' = y · std + mean</c>,
/// in float32, one subtraction and one division (one multiplication and one addition) per value, exactly the
/// operations of PyTorch's <c>(x - mean) / std</c> and <c>y * std + mean</c> (no reciprocal, no fused
/// multiply-add), so a user's PyTorch loop and this kernel see the same bits. The standardized inputs go to
/// a buffer preallocated for <see cref="MaxBatchSize"/>; outputs are rewritten in place: nothing is allocated
/// per step. <see cref="StepKernels.Create"/> applies it whenever the model has scaling.
/// </summary>
public sealed class ScaledKernel : IStepKernel
{
    private readonly IStepKernel _inner;
    private readonly float[]? _featureMean;
    private readonly float[]? _featureStd;
    private readonly float[]? _targetMean;
    private readonly float[]? _targetStd;
    private readonly float[] _scaledInputs;

    /// <summary>Wraps <paramref name="inner"/>, which must step a model whose <see cref="RecurrentModel.Scaling"/> changes numbers.</summary>
    /// <param name="inner">The kernel that runs the model on standardized inputs; disposed with this one.</param>
    public ScaledKernel(IStepKernel inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var scaling = inner.Model.Scaling;
        if (!scaling.ChangesNumbers)
            throw new ArgumentException("the kernel's model has no feature or target scaling to apply.", nameof(inner));
        _inner = inner;
        _featureMean = scaling.FeatureMean;
        _featureStd = scaling.FeatureStd;
        _targetMean = scaling.TargetMean;
        _targetStd = scaling.TargetStd;
        _scaledInputs = scaling.ScalesInputs ? new float[inner.MaxBatchSize * inner.Model.InputSize] : [];
    }

    /// <inheritdoc />
    public RecurrentModel Model => _inner.Model;

    /// <inheritdoc />
    public int MaxBatchSize => _inner.MaxBatchSize;

    /// <inheritdoc />
    public string Name => _inner.Name + "+scaling";

    /// <inheritdoc />
    /// <remarks>Same contract as the inner kernel, on raw inputs and raw predictions.</remarks>
    public void Step(ReadOnlySpan<float> inputs, ReadOnlySpan<float[]> states, Span<float> outputs)
    {
        StepArguments.Check(Model, MaxBatchSize, inputs, states, outputs);
        int batch = states.Length;
        ReadOnlySpan<float> fed = inputs;
        if (_featureMean is not null && _featureStd is not null)
        {
            var scaled = _scaledInputs.AsSpan(0, inputs.Length);
            Standardize(inputs, _featureMean, _featureStd, scaled);
            fed = scaled;
        }

        _inner.Step(fed, states, outputs);
        if (_targetMean is not null && _targetStd is not null)
            Destandardize(outputs[..(batch * Model.OutputSize)], _targetMean, _targetStd);
    }

    /// <summary><c>result[b, j] = (raw[b, j] − mean[j]) / std[j]</c> in float32 for every row b.</summary>
    internal static void Standardize(ReadOnlySpan<float> raw, ReadOnlySpan<float> mean, ReadOnlySpan<float> std, Span<float> result)
    {
        int width = mean.Length;
        Debug.Assert(std.Length == width && raw.Length % width == 0 && result.Length == raw.Length);
        for (int row = 0; row < raw.Length; row += width)
        {
            var x = raw.Slice(row, width);
            var y = result.Slice(row, width);
            for (int j = 0; j < width; j++)
            {
                float centred = x[j] - mean[j];
                y[j] = centred / std[j];
            }
        }
    }

    /// <summary><c>values[b, i] = values[b, i] · std[i] + mean[i]</c> in float32 for every row b, in place.</summary>
    internal static void Destandardize(Span<float> values, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        int width = mean.Length;
        Debug.Assert(std.Length == width && values.Length % width == 0);
        for (int row = 0; row < values.Length; row += width)
        {
            var y = values.Slice(row, width);
            for (int i = 0; i < width; i++)
            {
                float stretched = y[i] * std[i];
                y[i] = stretched + mean[i];
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _inner.Dispose();
}
