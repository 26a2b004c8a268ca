namespace LstmStreams.Core.Import;

/// <summary>A storage as a torch.save pickle refers to it: the persistent id ('storage', type, key, location, numel).</summary>
/// <param name="Key">The storage's name in the archive: its bytes are <c>&lt;top&gt;/data/&lt;Key&gt;</c>.</param>
/// <param name="DType">The element type of the storage class (torch.FloatStorage is F32, …).</param>
/// <param name="Numel">The number of elements the storage holds.</param>
internal sealed record TorchStorageRef(string Key, SafetensorsDType DType, long Numel);

/// <summary>
/// A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a view of a storage starting at element
/// <paramref name="Offset"/> with the given sizes and strides (in elements). Views of one storage may overlap.
/// </summary>
internal sealed record TorchTensorView(TorchStorageRef Storage, long Offset, long[] Size, long[] Stride)
{
    /// <summary>The shape as PyTorch prints it, e.g. "[256, 8]".</summary>
    public string ShapeText => "[" + string.Join(", ", Size) + "]";
}
