namespace LstmStreams.Pipeline;

/// <summary>
/// The answer to one observation: a <see cref="Prediction"/>, or an <see cref="ObservationError"/> when the
/// observation could not be applied. Every observation gets exactly one.
/// </summary>
public abstract record StreamResult;
