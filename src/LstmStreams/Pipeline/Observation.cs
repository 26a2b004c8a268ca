using LstmStreams.Sequences;

namespace LstmStreams.Pipeline;

/// <summary>
/// One observation of one sequence: the features x_t [M] and optional controls. Many sequences arrive
/// interleaved; the runtime keeps each sequence's order.
/// </summary>
public sealed class Observation : ISequenceMessage
{
    /// <summary>Creates an observation.</summary>
    /// <param name="sequenceId">Any non-empty string, e.g. "sensor/17".</param>
    /// <param name="features">x_t, [M] floats; the array is read, never kept past the step.</param>
    /// <param name="t">Optional timestamp or index echoed in the prediction.</param>
    /// <param name="reset">Zero the sequence's state before applying this observation.</param>
    /// <param name="end">Release the sequence's state after this observation's output.</param>
    /// <param name="position">Where it came from (a line number), for error records; 0 when unknown.</param>
    public Observation(string sequenceId, float[] features, long? t = null, bool reset = false, bool end = false, long position = 0)
    {
        SequenceId = sequenceId;
        Features = features;
        T = t;
        Reset = reset;
        End = end;
        Position = position;
    }

    /// <summary>The sequence this observation belongs to.</summary>
    public string SequenceId { get; }

    /// <summary>x_t: [M] floats.</summary>
    public float[] Features { get; }

    /// <summary>The caller's t, echoed in the prediction; null to number observations per sequence from 0.</summary>
    public long? T { get; }

    /// <summary>Zero the state before this observation.</summary>
    public bool Reset { get; }

    /// <summary>Release the state after this observation's output.</summary>
    public bool End { get; }

    /// <summary>Source position (1-based line number), 0 when unknown.</summary>
    public long Position { get; }

    /// <summary>When the compute stage admitted it (Stopwatch ticks), for latency figures. An open-loop
    /// benchmark source sets it to the scheduled time first, so queueing before admission is counted.</summary>
    internal long AdmittedTicks { get; set; }
}

/// <summary>The model's output for one observation.</summary>
/// <param name="SequenceId">The observation's sequence.</param>
/// <param name="T">The observation's t, or its 0-based index within the sequence when it had none.</param>
/// <param name="Y">The prediction, [O] floats.</param>
/// <param name="Position">The observation's source position (<see cref="Observation.Position"/>), so a source
/// that must acknowledge its input (a broker) can tell which input this output completes.</param>
public sealed record Prediction(string SequenceId, long T, float[] Y, long Position = 0) : StreamResult;

/// <summary>Why an input was not applied, for a consumer that treats the kinds differently (counts, alerts).</summary>
public enum ObservationErrorKind
{
    /// <summary>Malformed or out of range: not JSON, wrong width, NaN/Infinity, a huge value, no id.</summary>
    Invalid,

    /// <summary>A replay: its explicit t is not after the last t accepted for its sequence; dropped.</summary>
    Duplicate,

    /// <summary>Its sequence is refused: the stored state does not fit the model (or cannot be read).</summary>
    Refused,
}

/// <summary>An input that could not be applied; nothing else is lost or reordered because of it.</summary>
/// <param name="Position">Source position (line number), 0 when unknown.</param>
/// <param name="SequenceId">The sequence id when one could be read, else null.</param>
/// <param name="Reason">What is wrong and how to fix it.</param>
/// <param name="Kind">Which kind of problem it is.</param>
public sealed record ObservationError(long Position, string? SequenceId, string Reason, ObservationErrorKind Kind = ObservationErrorKind.Invalid) : StreamResult;
