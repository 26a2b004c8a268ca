using LstmStreams.Core.Model;

namespace LstmStreams.Core.Kernels;

/// <summary>The shape checks every kernel makes once at its public edge.</summary>
public static class StepArguments
{
    /// <summary>Throws a message naming both shapes when the arguments do not fit the model and batch limit.</summary>
    public static void Check(RecurrentModel model, int maxBatchSize, ReadOnlySpan<float> inputs, ReadOnlySpan<float[]> states, Span<float> outputs)
    {
        int batch = states.Length;
        if (batch > maxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(states), batch, $"batch of {batch} exceeds the kernel's max batch size {maxBatchSize}.");
        if (inputs.Length != batch * model.InputSize)
            throw new ArgumentException($"inputs must be [{batch}, {model.InputSize}] ({batch * model.InputSize} floats) but has {inputs.Length} floats.", nameof(inputs));
        if (outputs.Length < batch * model.OutputSize)
            throw new ArgumentException($"outputs must hold [{batch}, {model.OutputSize}] ({batch * model.OutputSize} floats) but has {outputs.Length} floats.", nameof(outputs));
        for (int b = 0; b < batch; b++)
        {
            var state = states[b];
            if (state is null || state.Length != model.StateSize)
                throw new ArgumentException($"states[{b}] must be a float[{model.StateSize}] but is {(state is null ? "null" : $"float[{state.Length}]")}.", nameof(states));
        }
    }
}
