namespace LstmStreams.Core.Model;

/// <summary>
/// The standardization a model was trained with, carried by its file: inputs are fed as
/// <c>x' = (x − feature_mean) / feature_std</c> and predictions are returned as
/// <c>y' = y · target_std + target_mean</c>, both in float32 as PyTorch computes them. Either half may be
/// absent (<see cref="None"/> has neither). Also the names of the inputs, in the model's input order.
/// Immutable: the arrays are copies, and must not be modified by callers.
/// </summary>
public sealed class FeatureScaling
{
    /// <summary>No names, no input scaling, no output scaling.</summary>
    public static FeatureScaling None { get; } = new(null, null, null, null, null);

    /// <summary>Creates a scaling; means and standard deviations come in pairs of equal length.</summary>
    /// <param name="featureNames">[M] unique, non-empty names of the inputs, or null.</param>
    /// <param name="featureMean">[M] finite means of the raw inputs, or null (then <paramref name="featureStd"/> is null too).</param>
    /// <param name="featureStd">[M] positive finite standard deviations of the raw inputs, or null.</param>
    /// <param name="targetMean">[O] finite means of the raw targets, or null (then <paramref name="targetStd"/> is null too).</param>
    /// <param name="targetStd">[O] positive finite standard deviations of the raw targets, or null.</param>
    public FeatureScaling(IReadOnlyList<string>? featureNames, float[]? featureMean, float[]? featureStd, float[]? targetMean, float[]? targetStd)
    {
        if (featureNames is not null)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in featureNames)
            {
                if (string.IsNullOrWhiteSpace(name))
                    throw new ArgumentException("feature names must not be empty.", nameof(featureNames));
                if (!seen.Add(name))
                    throw new ArgumentException($"feature name '{name}' appears twice; names must be unique.", nameof(featureNames));
            }
        }

        CheckPair(featureMean, featureStd, nameof(featureMean), nameof(featureStd));
        CheckPair(targetMean, targetStd, nameof(targetMean), nameof(targetStd));
        if (featureNames is not null && featureMean is not null && featureNames.Count != featureMean.Length)
            throw new ArgumentException($"{featureNames.Count} feature names but {featureMean.Length} feature means.", nameof(featureNames));

        FeatureNames = featureNames?.ToArray();
        FeatureMean = featureMean?.ToArray();
        FeatureStd = featureStd?.ToArray();
        TargetMean = targetMean?.ToArray();
        TargetStd = targetStd?.ToArray();
    }

    /// <summary>[M] the inputs' names in the model's input order, or null when the file does not name them.</summary>
    public IReadOnlyList<string>? FeatureNames { get; }

    /// <summary>[M] subtracted from each raw input, or null (inputs are fed as they come).</summary>
    public float[]? FeatureMean { get; }

    /// <summary>[M] each centred input is divided by it, or null.</summary>
    public float[]? FeatureStd { get; }

    /// <summary>[O] added to each scaled prediction, or null (predictions are returned as the model gives them).</summary>
    public float[]? TargetMean { get; }

    /// <summary>[O] each prediction is multiplied by it, or null.</summary>
    public float[]? TargetStd { get; }

    /// <summary>Whether inputs are standardized before the step.</summary>
    public bool ScalesInputs => FeatureMean is not null;

    /// <summary>Whether predictions are de-standardized after the step.</summary>
    public bool ScalesOutputs => TargetMean is not null;

    /// <summary>Whether a kernel has anything to do (names alone change no number).</summary>
    public bool ChangesNumbers => ScalesInputs || ScalesOutputs;

    /// <summary>Whether there is nothing at all: no names, no scaling.</summary>
    public bool IsEmpty => FeatureNames is null && !ChangesNumbers;

    /// <summary>The same names without any scaling: what <c>--raw</c> runs with.</summary>
    public FeatureScaling WithoutNumbers() => FeatureNames is null ? None : new FeatureScaling(FeatureNames, null, null, null, null);

    /// <summary>Throws when the widths do not fit a model of <paramref name="inputSize"/> inputs and <paramref name="outputSize"/> outputs.</summary>
    internal void CheckFits(int inputSize, int outputSize)
    {
        if (FeatureNames is not null && FeatureNames.Count != inputSize)
            throw new ArgumentException($"the scaling names {FeatureNames.Count} features but the model takes {inputSize} inputs.");
        if (FeatureMean is not null && FeatureMean.Length != inputSize)
            throw new ArgumentException($"the scaling has {FeatureMean.Length} feature means but the model takes {inputSize} inputs.");
        if (TargetMean is not null && TargetMean.Length != outputSize)
            throw new ArgumentException($"the scaling has {TargetMean.Length} target means but the model gives {outputSize} outputs.");
    }

    private static void CheckPair(float[]? mean, float[]? std, string meanName, string stdName)
    {
        if ((mean is null) != (std is null))
            throw new ArgumentException($"{meanName} and {stdName} must both be given or both be null.", mean is null ? meanName : stdName);
        if (mean is null || std is null) return;
        if (mean.Length != std.Length)
            throw new ArgumentException($"{meanName} has {mean.Length} values but {stdName} has {std.Length}.", stdName);
        for (int i = 0; i < mean.Length; i++)
        {
            if (!float.IsFinite(mean[i]))
                throw new ArgumentException($"{meanName}[{i}] is {mean[i]}; a mean must be finite.", meanName);
            if (!float.IsFinite(std[i]) || std[i] <= 0)
                throw new ArgumentException($"{stdName}[{i}] is {std[i]}; a standard deviation must be positive and finite.", stdName);
        }
    }
}
