namespace LstmStreams.Core.Import;

/// <summary>One tensor of a state_dict (read from safetensors or torch.save), converted to float32, row-major.</summary>
/// <param name="Name">The state_dict key, e.g. "rnn.weight_ih_l0".</param>
/// <param name="DType">The element type as stored in the file.</param>
/// <param name="Shape">The dimensions, outermost first.</param>
/// <param name="Values">The elements as float32, row-major.</param>
public sealed record SafetensorsTensor(string Name, SafetensorsDType DType, int[] Shape, float[] Values)
{
    /// <summary>The shape as PyTorch prints it, e.g. "[256, 8]".</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
