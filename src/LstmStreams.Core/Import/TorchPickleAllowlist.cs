namespace LstmStreams.Core.Import;

/// <summary>
/// The globals a state_dict pickle may name, and the refusal for any other: a whole <c>nn.Module</c> (its classes
/// live in <c>torch.nn</c> or the user's code) gets the one-line fix; anything else is named and refused before
/// a single opcode runs.
/// </summary>
internal static class TorchPickleAllowlist
{
    /// <summary>The storage classes read, by their name in module <c>torch</c>.</summary>
    public static IReadOnlyList<(string Name, SafetensorsDType DType)> FloatStorages { get; } =
    [
        ("FloatStorage", SafetensorsDType.F32),
        ("HalfStorage", SafetensorsDType.F16),
        ("BFloat16Storage", SafetensorsDType.BF16),
        ("DoubleStorage", SafetensorsDType.F64),
    ];

    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage",
        "torch.HalfStorage",
        "torch.BFloat16Storage",
        "torch.DoubleStorage",
    };

    /// <summary>Refuses the file unless every global in <paramref name="globals"/> is allowed.</summary>
    /// <exception cref="ModelFormatException">A global is not allowed; the message names it (or the fix for a Module).</exception>
    public static void Check(string path, IReadOnlyList<string> globals)
    {
        var refused = globals.Where(g => !Allowed.Contains(g)).ToList();
        if (refused.Count == 0) return;
        var module = refused.FirstOrDefault(g => g.StartsWith("torch.nn.", StringComparison.Ordinal));
        if (module is not null)
            throw new ModelFormatException(path, $"holds a whole nn.Module pickled by torch.save(model) (it names {module}), not a state_dict. " +
                "Save the weights instead: torch.save(model.state_dict(), \"model.pt\").");
        var storage = refused.FirstOrDefault(g => g.StartsWith("torch.", StringComparison.Ordinal) && g.EndsWith("Storage", StringComparison.Ordinal));
        if (storage is not null)
            throw new ModelFormatException(path, $"holds a tensor stored as {storage}; only float32, float16, bfloat16 and float64 tensors are read. " +
                "Convert the state_dict to float (e.g. {k: v.float() for k, v in model.state_dict().items()}) or drop integer buffers before saving.");
        string names = string.Join(", ", refused.Take(5)) + (refused.Count > 5 ? ", …" : "");
        throw new ModelFormatException(path, $"its pickle asks for {names}, which a state_dict does not need; it is refused unrun " +
            "(a torch.save file is a program, and only tensors, OrderedDict and torch's storage classes are allowed). " +
            "Save only the model's weights: torch.save(model.state_dict(), \"model.pt\").");
    }
}
