using LstmStreams.Core.Model;

namespace LstmStreams.Core.Kernels;

/// <summary>
/// Advances a batch of unrelated sequences by one observation each: one batched step through every
/// layer and the head. Implementations own preallocated workspaces sized for <see cref="MaxBatchSize"/>
/// and allocate nothing per step. A kernel instance is not thread-safe: one caller at a time.
/// </summary>
public interface IStepKernel : IDisposable
{
    /// <summary>The model this kernel steps (its weights are packed at construction).</summary>
    RecurrentModel Model { get; }

    /// <summary>The largest batch one <see cref="Step"/> accepts.</summary>
    int MaxBatchSize { get; }

    /// <summary>A short name for reports: "reference", "managed-avx512", …</summary>
    string Name { get; }

    /// <summary>
    /// Steps <c>B = states.Length</c> sequences once. Gathers row b's input and state, runs one fused step
    /// for all B, and scatters the new state back into <c>states[b]</c> in place.
    /// </summary>
    /// <param name="inputs">[B, M] row-major: row b is sequence b's observation.</param>
    /// <param name="states">B state arrays, each <see cref="RecurrentModel.StateSize"/> long (layout in
    /// <see cref="RecurrentModel"/>); read as h_{t-1}, c_{t-1} and overwritten with h_t, c_t.
    /// The same array must not appear twice.</param>
    /// <param name="outputs">[B, O] row-major: receives each sequence's prediction.</param>
    void Step(ReadOnlySpan<float> inputs, ReadOnlySpan<float[]> states, Span<float> outputs);
}
