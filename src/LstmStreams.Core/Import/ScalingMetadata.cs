using System.Globalization;
using System.Text.Json;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Import;

/// <summary>
/// Reads a <see cref="FeatureScaling"/> from a safetensors file's string metadata. Each value is JSON text:
/// <c>feature_names</c> an array of M strings, <c>feature_mean</c>/<c>feature_std</c> arrays of M numbers,
/// <c>target_mean</c>/<c>target_std</c> arrays of O numbers (M inputs, O outputs, in the model's order).
/// Every refusal names the key and the fix.
/// </summary>
public static class ScalingMetadata
{
    /// <summary>The metadata key of the inputs' names.</summary>
    public const string FeatureNames = "feature_names";

    /// <summary>The metadata key of the inputs' means.</summary>
    public const string FeatureMean = "feature_mean";

    /// <summary>The metadata key of the inputs' standard deviations.</summary>
    public const string FeatureStd = "feature_std";

    /// <summary>The metadata key of the targets' means.</summary>
    public const string TargetMean = "target_mean";

    /// <summary>The metadata key of the targets' standard deviations.</summary>
    public const string TargetStd = "target_std";

    /// <summary>The five keys, in the order they are documented.</summary>
    public static IReadOnlyList<string> Keys { get; } = [FeatureNames, FeatureMean, FeatureStd, TargetMean, TargetStd];

    /// <summary>Reads and checks the scaling of a model with <paramref name="inputSize"/> inputs and <paramref name="outputSize"/> outputs.</summary>
    /// <exception cref="ModelFormatException">A key holds bad JSON, the wrong number of values, a non-finite mean,
    /// a standard deviation that is not positive and finite, half of a mean/std pair, or empty or repeated names.</exception>
    public static FeatureScaling Read(string path, IReadOnlyDictionary<string, string> metadata, int inputSize, int outputSize)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var names = ReadNames(path, metadata, inputSize);
        var (featureMean, featureStd) = ReadPair(path, metadata, FeatureMean, FeatureStd, inputSize, "the model takes", "inputs");
        var (targetMean, targetStd) = ReadPair(path, metadata, TargetMean, TargetStd, outputSize, "the model gives", "outputs");
        if (names is null && featureMean is null && targetMean is null) return FeatureScaling.None;
        return new FeatureScaling(names, featureMean, featureStd, targetMean, targetStd);
    }

    private static string[]? ReadNames(string path, IReadOnlyDictionary<string, string> metadata, int inputSize)
    {
        if (!metadata.TryGetValue(FeatureNames, out var text)) return null;
        string[] names;
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Array || document.RootElement.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                throw new ModelFormatException(path, $"metadata \"{FeatureNames}\" is {Quote(text)}, not a JSON array of strings; write it as json.dumps([\"temp\", \"rpm\", ...]), one name per input in the model's input order.");
            names = document.RootElement.EnumerateArray().Select(e => e.GetString()!).ToArray();
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, $"metadata \"{FeatureNames}\" is not valid JSON ({e.Message}); write it as json.dumps([\"temp\", \"rpm\", ...]), one name per input in the model's input order.", e);
        }

        if (names.Length != inputSize)
            throw new ModelFormatException(path, $"metadata \"{FeatureNames}\" has {names.Length} names but the model takes {inputSize} inputs; name every input, in the model's input order.");
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < names.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(names[i]))
                throw new ModelFormatException(path, $"metadata \"{FeatureNames}\"[{i}] is empty; give every input a name.");
            if (!first.TryAdd(names[i], i))
                throw new ModelFormatException(path, $"metadata \"{FeatureNames}\" names \"{names[i]}\" twice (positions {first[names[i]]} and {i}); feature names must be unique.");
        }

        return names;
    }

    private static (float[]? Mean, float[]? Std) ReadPair(string path, IReadOnlyDictionary<string, string> metadata,
        string meanKey, string stdKey, int width, string verb, string noun)
    {
        bool hasMean = metadata.TryGetValue(meanKey, out var meanText);
        bool hasStd = metadata.TryGetValue(stdKey, out var stdText);
        if (hasMean != hasStd)
        {
            var (present, missing) = hasMean ? (meanKey, stdKey) : (stdKey, meanKey);
            throw new ModelFormatException(path, $"metadata has \"{present}\" but no \"{missing}\"; write both (x' = (x - mean) / std needs both) or neither.");
        }

        if (!hasMean) return (null, null);
        var mean = ReadNumbers(path, meanKey, meanText!, width, verb, noun);
        var std = ReadNumbers(path, stdKey, stdText!, width, verb, noun);
        for (int i = 0; i < width; i++)
        {
            if (!float.IsFinite(mean[i]))
                throw new ModelFormatException(path, $"metadata \"{meanKey}\"[{i}] is {Show(mean[i])}; a mean must be a finite float32 (was the statistic computed over NaNs?).");
            if (!float.IsFinite(std[i]) || std[i] <= 0)
                throw new ModelFormatException(path, $"metadata \"{stdKey}\"[{i}] is {Show(std[i])}; a standard deviation must be positive and finite in float32 (a constant column has std 0: drop it, or write 1 to leave it unscaled).");
        }

        return (mean, std);
    }

    private static float[] ReadNumbers(string path, string key, string text, int width, string verb, string noun)
    {
        float[] values;
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number))
                throw new ModelFormatException(path, $"metadata \"{key}\" is {Quote(text)}, not a JSON array of numbers; write it as json.dumps([float(v) for v in values]).");
            // double first, then float32: the text of a float32 printed as a double comes back exactly.
            // A number beyond double's range becomes infinity, refused by the caller with its index.
            values = root.EnumerateArray().Select(e => e.TryGetDouble(out double v) ? (float)v : float.PositiveInfinity).ToArray();
        }
        catch (JsonException e)
        {
            // Python's json.dumps writes NaN and Infinity bare; read them so the refusal names the value.
            if (!TryReadPythonFloats(text, out values))
                throw new ModelFormatException(path, $"metadata \"{key}\" is not valid JSON ({e.Message}); write it as json.dumps([float(v) for v in values]).", e);
        }

        if (values.Length != width)
            throw new ModelFormatException(path, $"metadata \"{key}\" has {values.Length} values but {verb} {width} {noun}; write one value per {noun[..^1]}, in the model's order.");
        return values;
    }

    private static bool TryReadPythonFloats(string text, out float[] values)
    {
        values = [];
        string body = text.Trim();
        if (body.Length < 2 || body[0] != '[' || body[^1] != ']') return false;
        string[] items = body[1..^1].Split(',', StringSplitOptions.TrimEntries);
        var parsed = new float[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            switch (items[i])
            {
                case "NaN": parsed[i] = float.NaN; break;
                case "Infinity": parsed[i] = float.PositiveInfinity; break;
                case "-Infinity": parsed[i] = float.NegativeInfinity; break;
                default:
                    if (!double.TryParse(items[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return false;
                    parsed[i] = (float)v;
                    break;
            }
        }

        values = parsed;
        return true;
    }

    private static string Show(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string text) => text.Length <= 60 ? $"'{text}'" : $"'{text[..57]}...'";
}
