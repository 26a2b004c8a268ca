using LstmStreams.Pipeline;

namespace LstmStreams.Formats;

/// <summary>One input line: an observation, or the error record saying why it is not one.</summary>
/// <param name="Observation">The observation, when the line parsed.</param>
/// <param name="Error">The error record, when it did not.</param>
public readonly record struct ParsedLine(Observation? Observation, ObservationError? Error)
{
    /// <summary>A line that parsed.</summary>
    public static ParsedLine Ok(Observation observation) => new(observation, null);

    /// <summary>A line that did not.</summary>
    public static ParsedLine Bad(long position, string? sequenceId, string reason) => new(null, new ObservationError(position, sequenceId, reason));
}
