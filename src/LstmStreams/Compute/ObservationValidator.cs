using System.Globalization;
using LstmStreams.Pipeline;

namespace LstmStreams.Compute;

/// <summary>The checks an observation passes before it is admitted; each failure names the fix.</summary>
internal sealed class ObservationValidator(int inputSize, float maxAbsFeature)
{
    /// <summary>Null when the observation can be applied, else the reason for its error record.</summary>
    public string? Check(Observation observation)
    {
        if (string.IsNullOrEmpty(observation.SequenceId))
            return "empty sequence id: every observation needs a non-empty \"seq\".";
        var features = observation.Features;
        if (features is null || features.Length != inputSize)
            return $"x has {features?.Length ?? 0} values but the model takes {inputSize}: send exactly {inputSize} features per observation.";
        for (int i = 0; i < features.Length; i++)
        {
            float value = features[i];
            if (!float.IsFinite(value))
                return string.Create(CultureInfo.InvariantCulture, $"x[{i}] is {value}: features must be finite numbers (no NaN or Infinity).");
            if (Math.Abs(value) > maxAbsFeature)
                return string.Create(CultureInfo.InvariantCulture, $"x[{i}] = {value:G9} exceeds max-abs-feature ({maxAbsFeature:G3}): such values overflow float32 arithmetic; scale the input or raise lstm-streams.max-abs-feature.");
        }

        return null;
    }
}
