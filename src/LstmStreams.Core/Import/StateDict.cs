namespace LstmStreams.Core.Import;

/// <summary>
/// A PyTorch <c>state_dict</c> as read from a model file, whatever its format: tensors by their state_dict key
/// (converted to float32, row-major) and string metadata. <see cref="ModelLoader"/> maps it to a model; the
/// mapping is the same for every format.
/// </summary>
public sealed class StateDict
{
    /// <summary>Creates a state_dict; the tensors are sorted by name.</summary>
    /// <param name="path">The file the tensors came from, named in every refusal.</param>
    /// <param name="format">What the file was, e.g. "safetensors" or "torch.save".</param>
    /// <param name="metadata">String metadata (safetensors' "__metadata__"; empty when absent).</param>
    /// <param name="tensors">The tensors, names unique.</param>
    public StateDict(string path, string format, IReadOnlyDictionary<string, string> metadata, IEnumerable<SafetensorsTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(tensors);
        Path = path;
        Format = format;
        Metadata = metadata;
        var sorted = tensors.ToList();
        sorted.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        Tensors = sorted;
        ByName = sorted.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file that was read.</summary>
    public string Path { get; }

    /// <summary>The file's format, e.g. "safetensors" or "torch.save".</summary>
    public string Format { get; }

    /// <summary>String metadata (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>All tensors, sorted by name.</summary>
    public IReadOnlyList<SafetensorsTensor> Tensors { get; }

    /// <summary>Tensors by state_dict key.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensor> ByName { get; }
}
