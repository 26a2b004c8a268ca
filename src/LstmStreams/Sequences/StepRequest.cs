using LstmStreams.Pipeline;

namespace LstmStreams.Sequences;

/// <summary>What a sequence actor hands the compute stage: its state, the observation, and the t to echo;
/// or, with <paramref name="Rejection"/>, an observation that cannot be applied (a replayed duplicate, a
/// sequence whose stored state does not fit the model), which the stage reports as an error record.</summary>
/// <param name="State">The sequence's state, updated in place by the step.</param>
/// <param name="Observation">The observation to apply.</param>
/// <param name="T">The t of the prediction (the observation's own, or its index in the sequence).</param>
/// <param name="Rejection">Why the observation is not applied; null for a step.</param>
public readonly record struct StepRequest(SequenceState State, Observation Observation, long T, Rejection? Rejection = null);

/// <summary>Why an admitted observation is not stepped: a replayed duplicate, or a refused sequence.</summary>
/// <param name="Kind">Duplicate or refused.</param>
/// <param name="Reason">What happened and how to fix it, for the error record.</param>
public sealed record Rejection(ObservationErrorKind Kind, string Reason);
