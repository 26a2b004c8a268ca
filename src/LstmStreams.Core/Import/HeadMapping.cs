using System.Text.RegularExpressions;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Import;

/// <summary>
/// Finds the whole output head of a state_dict, or refuses it: an nn.Sequential of Linear layers
/// (<c>head.0.weight</c>, <c>head.2.weight</c>: the indices without a tensor are activations), one Linear,
/// or named Linear modules chained by their widths (<c>head.fc1</c> [32, H] then <c>head.fc2</c> [O, 32]),
/// with the activations from <see cref="HeadMetadata"/>. A head it cannot map completely (a module of
/// another kind, a tensor-less module it cannot name, widths that do not chain) is refused, never truncated.
/// </summary>
internal static partial class HeadMapping
{
    [GeneratedRegex(@"^(?<root>(?:.*\.)?)(?<index>\d+)\.(?<rest>[^.]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex SequentialChild();

    [GeneratedRegex(@"^(?<index>\d+)\.(?<kind>weight|bias)$", RegexOptions.CultureInvariant)]
    private static partial Regex LinearTensor();

    /// <summary>Where the head's Linear layers are: their prefixes in order, and for an nn.Sequential its indices.</summary>
    /// <remarks><paramref name="First"/> is the index an nn.Sequential head starts at: 0, or the index after a
    /// recurrent module held in the same container (an nn.ModuleList([nn.LSTM, nn.Linear, …])).</remarks>
    private sealed record Plan(string Name, IReadOnlyList<string> Prefixes, IReadOnlyList<int>? Indices, int First = 0);

    /// <summary>The head of <paramref name="file"/> taking h [H], or null when it has none.</summary>
    /// <param name="file">The state_dict.</param>
    /// <param name="hidden">H, the width the head takes.</param>
    /// <param name="headPrefix">null to find the head; a prefix to choose it; <see cref="ModelLoader.NoHead"/> for none.</param>
    /// <param name="isRecurrent">True for the recurrent tensors' names, which are never part of the head.</param>
    public static OutputHead? Find(StateDict file, int hidden, string? headPrefix, Func<string, bool> isRecurrent)
    {
        string path = file.Path;
        var single = HeadMetadata.ReadActivation(path, file.Metadata);
        var declared = HeadMetadata.ReadActivations(path, file.Metadata);
        var order = HeadMetadata.ReadLayers(path, file.Metadata);
        if (string.Equals(headPrefix, ModelLoader.NoHead, StringComparison.OrdinalIgnoreCase))
            return null;

        var plan = order is not null ? new Plan(order[0], order, null)
            : headPrefix is not null ? Chosen(file, hidden, headPrefix, isRecurrent)
            : Automatic(file, hidden, isRecurrent);
        if (plan is null)
        {
            if (declared is not null)
                throw new ModelFormatException(path, $"metadata \"{HeadMetadata.Activations}\" is set but no head (a Linear weight [O, {hidden}]) is in the file.");
            if (single is { } activation && activation != HeadActivation.Identity)
                throw new ModelFormatException(path, $"metadata \"{HeadMetadata.Activation}\" is \"{file.Metadata[HeadMetadata.Activation]}\" but no head (a Linear weight [O, {hidden}]) is in the file.");
            return null;
        }

        var linears = new List<(SafetensorsTensor Weight, SafetensorsTensor? Bias)>(plan.Prefixes.Count);
        int width = hidden;
        foreach (string prefix in plan.Prefixes)
        {
            var (weight, bias) = ReadLinear(file, prefix);
            if (weight.Shape[1] != width)
                throw new ModelFormatException(path, linears.Count == 0
                    ? $"head '{weight.Name}' has shape {weight.ShapeText}; expected [O, {hidden}] to take the last layer's h."
                    : $"head layer '{weight.Name}' {weight.ShapeText} takes {weight.Shape[1]} inputs but '{linears[^1].Weight.Name}' {linears[^1].Weight.ShapeText} gives {width}: the head's widths do not chain, so this is not one head (list its Linear modules in order in metadata \"{HeadMetadata.Layers}\").");
            linears.Add((weight, bias));
            width = weight.Shape[0];
        }

        var activations = HeadActivationRules.Resolve(path, plan.Name, plan.Prefixes, plan.Indices, plan.First, linears.Select(l => l.Weight.ShapeText).ToList(), single, declared);
        var layers = new HeadLayer[linears.Count];
        for (int k = 0; k < layers.Length; k++)
        {
            var (weight, bias) = linears[k];
            layers[k] = new HeadLayer(weight.Values, bias?.Values, weight.Shape[1], activations[k], plan.Prefixes[k]);
        }

        return new OutputHead(layers, plan.Name);
    }

    private static Plan? Chosen(StateDict file, int hidden, string headPrefix, Func<string, bool> isRecurrent)
    {
        string prefix = headPrefix.Length == 0 || headPrefix.EndsWith('.') ? headPrefix : headPrefix + ".";
        if (file.ByName.ContainsKey(prefix + "weight"))
            return ForLinear(file, prefix, isRecurrent);
        if (file.Tensors.Any(t => t.Name.StartsWith(prefix, StringComparison.Ordinal) && LinearTensor().IsMatch(t.Name[prefix.Length..])))
            return ForSequential(file, prefix, isRecurrent);
        throw new ModelFormatException(file.Path, $"the head '{headPrefix}' was asked for but '{prefix}weight' is not in the file. Candidates: {ModelLoader.Preview(Candidates(file, hidden, isRecurrent).Select(t => t.Name))}.");
    }

    private static Plan? Automatic(StateDict file, int hidden, Func<string, bool> isRecurrent)
    {
        var candidates = Candidates(file, hidden, isRecurrent).ToList();
        var heads = candidates.Select(c => SequentialRoot(c) ?? c.Name[..^"weight".Length]).Distinct(StringComparer.Ordinal).ToList();
        if (heads.Count > 1)
        {
            string example = heads[0].TrimEnd('.');
            throw new ModelFormatException(file.Path, $"several tensors could be the output head ({string.Join(", ", candidates.Select(c => $"'{c.Name}' {c.ShapeText}"))}); choose one with --head PREFIX (e.g. --head {example}) or --head none.");
        }

        if (candidates.Count == 0) return null;
        return SequentialRoot(candidates[0]) is { } sequential ? ForSequential(file, sequential, isRecurrent)
            : ForLinear(file, candidates[0].Name[..^"weight".Length], isRecurrent);
    }

    /// <summary>"head." for "head.0.weight" when the name is a child of an nn.Sequential; otherwise null.</summary>
    private static string? SequentialRoot(SafetensorsTensor weight)
    {
        var match = SequentialChild().Match(weight.Name);
        return match.Success ? match.Groups["root"].Value : null;
    }

    /// <summary>A Linear at <paramref name="prefix"/>, part of an nn.Sequential if its name says so, followed by
    /// the named Linear modules whose widths chain after it.</summary>
    private static Plan ForLinear(StateDict file, string prefix, Func<string, bool> isRecurrent)
    {
        var match = SequentialChild().Match(prefix + "weight");
        if (match.Success)
            return ForSequential(file, match.Groups["root"].Value, isRecurrent);
        var prefixes = new List<string> { prefix };
        int width = file.ByName[prefix + "weight"].Shape[0];
        while (true)
        {
            var next = file.Tensors.Where(t => IsLinearWeight(t, isRecurrent) && t.Shape[1] == width
                && !prefixes.Contains(t.Name[..^"weight".Length])).ToList();
            if (next.Count == 0) break;
            if (next.Count > 1)
                throw new ModelFormatException(file.Path, $"the head '{prefix}' gives {width} values, and several Linear weights could take them next ({string.Join(", ", next.Select(t => $"'{t.Name}' {t.ShapeText}"))}); name the head's Linear modules in the order they run in metadata \"{HeadMetadata.Layers}\": json.dumps([\"{prefix.TrimEnd('.')}\", …]).");
            prefixes.Add(next[0].Name[..^"weight".Length]);
            width = next[0].Shape[0];
        }

        return new Plan(prefix, prefixes, null);
    }

    private static Plan ForSequential(StateDict file, string root, Func<string, bool> isRecurrent)
    {
        // Every tensor under the root, by module index (-1: not under an index); a module is a Linear when it
        // holds exactly a weight [Out, In] and optionally a bias [Out].
        var modules = new SortedDictionary<int, List<SafetensorsTensor>>();
        int first = 0;
        foreach (var tensor in file.Tensors)
        {
            if (!tensor.Name.StartsWith(root, StringComparison.Ordinal)) continue;
            string rest = tensor.Name[root.Length..];
            int dot = rest.IndexOf('.');
            int index = dot > 0 && int.TryParse(rest[..dot], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i) ? i : -1;
            if (isRecurrent(tensor.Name))
            {
                first = Math.Max(first, index + 1);
                continue;
            }

            (modules.TryGetValue(index, out var list) ? list : modules[index] = []).Add(tensor);
        }

        var indices = new List<int>();
        foreach (var (index, tensors) in modules)
        {
            string module = $"{root}{index}.";
            bool linear = index >= 0
                && tensors.Any(t => t.Name == module + "weight" && t.Shape.Length == 2)
                && tensors.All(t => (t.Name == module + "weight" && t.Shape.Length == 2) || (t.Name == module + "bias" && t.Shape.Length == 1));
            if (!linear)
            {
                string where = index >= 0 ? $"module '{root}{index}'" : $"'{root}'";
                throw new ModelFormatException(file.Path, $"the head '{root}' is an nn.Sequential, but {where} holds {string.Join(", ", tensors.Select(t => $"'{t.Name}' {t.ShapeText}"))}, which is not an nn.Linear (weight [Out, In], bias [Out]). " +
                    $"A head may hold only Linear layers with {HeadActivations.Names} between and after them; fold a normalization into the Linear before saving, or stream the model's hidden state with --head none.");
            }

            indices.Add(index);
        }

        if (indices.Count > 0 && indices[0] < first)
            throw new ModelFormatException(file.Path, $"the head '{root}' has a Linear at '{root}{indices[0]}' before the recurrent module at '{root}{first - 1}'; only a head after the recurrent layers can be streamed.");
        return new Plan(root, indices.Select(i => $"{root}{i}.").ToList(), indices, first);
    }

    private static (SafetensorsTensor Weight, SafetensorsTensor? Bias) ReadLinear(StateDict file, string prefix)
    {
        string path = file.Path;
        if (!file.ByName.TryGetValue(prefix + "weight", out var weight))
            throw new ModelFormatException(path, $"the head layer '{prefix}' (metadata \"{HeadMetadata.Layers}\") has no '{prefix}weight' in the file; name each Linear module by its state_dict prefix.");
        if (weight.Shape.Length != 2 || weight.Shape[0] == 0 || weight.Shape[1] == 0)
            throw new ModelFormatException(path, $"head layer '{weight.Name}' has shape {weight.ShapeText}; an nn.Linear weight is [Out, In].");
        ModelLoader.CheckFinite(path, weight);
        if (!file.ByName.TryGetValue(prefix + "bias", out var bias)) return (weight, null);
        if (bias.Shape.Length != 1 || bias.Shape[0] != weight.Shape[0])
            throw new ModelFormatException(path, $"head bias '{bias.Name}' has shape {bias.ShapeText}; expected [{weight.Shape[0]}].");
        ModelLoader.CheckFinite(path, bias);
        return (weight, bias);
    }

    private static bool IsLinearWeight(SafetensorsTensor t, Func<string, bool> isRecurrent) =>
        (t.Name == "weight" || t.Name.EndsWith(".weight", StringComparison.Ordinal))
        && !isRecurrent(t.Name) && t.Shape.Length == 2 && t.Shape[0] > 0 && t.Shape[1] > 0;

    private static IEnumerable<SafetensorsTensor> Candidates(StateDict file, int hidden, Func<string, bool> isRecurrent) =>
        file.Tensors.Where(t => IsLinearWeight(t, isRecurrent) && t.Shape[1] == hidden);
}
