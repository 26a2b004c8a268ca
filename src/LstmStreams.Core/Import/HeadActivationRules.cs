using LstmStreams.Core.Model;

namespace LstmStreams.Core.Import;

/// <summary>
/// Which activation follows each Linear of a head. Activations leave no tensor, so they come from metadata
/// (<see cref="HeadMetadata"/>); the only thing the names tell is, in an nn.Sequential, where a tensor-less
/// module sits. Without <c>head_activations</c> a head is accepted only when no such module can hide: one
/// Linear, or Linear layers at consecutive indices from 0 (then <c>head_activation</c>, default identity, is
/// the last one's). Anything else is refused with the metadata line that fixes it.
/// </summary>
internal static class HeadActivationRules
{
    /// <summary>One activation per Linear, in order.</summary>
    /// <param name="path">The file, named in refusals.</param>
    /// <param name="name">The head's prefix, for messages.</param>
    /// <param name="prefixes">Each Linear's prefix, in order.</param>
    /// <param name="indices">For an nn.Sequential, each Linear's index in it; null for named modules.</param>
    /// <param name="first">The index an nn.Sequential head starts at (0, or after a recurrent module in the same container).</param>
    /// <param name="shapes">Each Linear weight's shape text, for messages.</param>
    /// <param name="single">metadata <c>head_activation</c>, or null.</param>
    /// <param name="declared">metadata <c>head_activations</c>, or null.</param>
    public static HeadActivation[] Resolve(string path, string name, IReadOnlyList<string> prefixes, IReadOnlyList<int>? indices, int first,
        IReadOnlyList<string> shapes, HeadActivation? single, HeadActivation[]? declared)
    {
        int count = prefixes.Count;
        if (declared is not null)
            return CheckDeclared(path, name, prefixes, indices, single, declared);

        bool consecutive = indices is null ? count == 1 : indices[0] == first && indices[^1] == first + count - 1;
        if (consecutive)
        {
            var activations = new HeadActivation[count];
            activations[^1] = single ?? HeadActivation.Identity;
            return activations;
        }

        string layers = string.Join(" → ", prefixes.Select((p, k) => $"'{p.TrimEnd('.')}' {shapes[k]}"));
        string example = Example(count, indices, single);
        string fix = $"Declare what follows each Linear in the metadata: \"{HeadMetadata.Activations}\": '{example}' " +
            $"(JSON, one name per Linear in order, each from {HeadActivations.Names}; safetensors: save_file(..., metadata={{...}}), torch.save: state[\"__metadata__\"] = {{...}}).";
        if (indices is null)
            throw new ModelFormatException(path, $"the head is {count} named Linear modules chained by their widths ({layers}); activations leave no tensor, so the file must say which follows each Linear. {fix}");
        var missing = Enumerable.Range(first, indices[^1] + 1 - first).Where(i => !indices.Contains(i)).ToList();
        throw new ModelFormatException(path, $"the head '{name}' is an nn.Sequential with Linear layers at {(count == 1 ? "index" : "indices")} {string.Join(", ", indices)} ({layers}); " +
            $"{(missing.Count == 1 ? "index" : "indices")} {string.Join(", ", missing)} hold{(missing.Count == 1 ? "s" : "")} no tensor, so {(missing.Count == 1 ? "it is an activation (or Dropout)" : "they are activations (or Dropout)")} the file does not name, and streaming without {(missing.Count == 1 ? "it" : "them")} would not give the model's outputs. {fix}");
    }

    private static HeadActivation[] CheckDeclared(string path, string name, IReadOnlyList<string> prefixes, IReadOnlyList<int>? indices,
        HeadActivation? single, HeadActivation[] declared)
    {
        int count = prefixes.Count;
        if (declared.Length != count)
            throw new ModelFormatException(path, $"metadata \"{HeadMetadata.Activations}\" has {declared.Length} name(s) but the head '{name}' has {count} Linear layer(s) ({string.Join(", ", prefixes.Select(p => $"'{p.TrimEnd('.')}'"))}); give one per Linear, in order (the activation after it, \"identity\" for none).");
        if (single is { } last && last != declared[^1])
            throw new ModelFormatException(path, $"metadata \"{HeadMetadata.Activation}\" is \"{last.ToName()}\" but \"{HeadMetadata.Activations}\" ends with \"{declared[^1].ToName()}\"; both name the activation after the last Linear: make them agree or drop \"{HeadMetadata.Activation}\".");
        if (indices is null) return declared;
        for (int k = 0; k < count - 1; k++)
        {
            if (indices[k + 1] == indices[k] + 1 && declared[k] != HeadActivation.Identity)
                throw new ModelFormatException(path, $"metadata \"{HeadMetadata.Activations}\"[{k}] is \"{declared[k].ToName()}\" but '{name}{indices[k + 1]}' follows '{name}{indices[k]}' directly in the nn.Sequential: no module sits between them to be that activation. Write \"identity\" there, or check that the file is the model you meant.");
        }

        return declared;
    }

    /// <summary>A guess at the declaration to show in a refusal: ReLU where a module hides, the known last activation.</summary>
    private static string Example(int count, IReadOnlyList<int>? indices, HeadActivation? single)
    {
        var names = new string[count];
        for (int k = 0; k < count; k++)
            names[k] = k == count - 1 ? (single ?? HeadActivation.Identity).ToName()
                : indices is null || indices[k + 1] > indices[k] + 1 ? "relu" : "identity";
        return "[" + string.Join(", ", names.Select(n => $"\"{n}\"")) + "]";
    }
}
