using System.Text.Json;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Import;

/// <summary>
/// Reads what a state_dict cannot say about its output head from the file's string metadata: activations
/// leave no tensor, and named modules no order. <c>head_activation</c> is one name (the activation after the
/// last Linear); <c>head_activations</c> is JSON text, one name per Linear in order, each applied after its
/// Linear (<c>["relu", "identity"]</c> for nn.Sequential(Linear, ReLU, Linear)); <c>head_layers</c> is JSON
/// text, the Linear modules' state_dict prefixes in order (<c>["head.fc1", "head.fc2"]</c>). Every refusal
/// names the key and the fix.
/// </summary>
public static class HeadMetadata
{
    /// <summary>The metadata key of the activation after the head's last Linear.</summary>
    public const string Activation = "head_activation";

    /// <summary>The metadata key of the activation after each Linear of the head, a JSON array of names.</summary>
    public const string Activations = "head_activations";

    /// <summary>The metadata key of the head's Linear modules in order, a JSON array of state_dict prefixes.</summary>
    public const string Layers = "head_layers";

    /// <summary>The three keys, in the order they are documented.</summary>
    public static IReadOnlyList<string> Keys { get; } = [Activation, Activations, Layers];

    /// <summary>Reads <c>head_activation</c>, or null when the file has none.</summary>
    /// <exception cref="ModelFormatException">The name is not one of <see cref="HeadActivations.Names"/>.</exception>
    public static HeadActivation? ReadActivation(string path, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(Activation, out var name)) return null;
        if (!HeadActivations.TryParse(name, out var activation))
            throw new ModelFormatException(path, $"metadata \"{Activation}\" is \"{name}\"; expected {HeadActivations.Names}.");
        return activation;
    }

    /// <summary>Reads <c>head_activations</c>, or null when the file has none.</summary>
    /// <exception cref="ModelFormatException">The text is not a non-empty JSON array of known names.</exception>
    public static HeadActivation[]? ReadActivations(string path, IReadOnlyDictionary<string, string> metadata)
    {
        var names = ReadStrings(path, metadata, Activations, "json.dumps([\"relu\", \"identity\"]), one name per Linear of the head, in order");
        if (names is null) return null;
        var activations = new HeadActivation[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            if (!HeadActivations.TryParse(names[i], out activations[i]) || names[i].Trim().Length == 0)
                throw new ModelFormatException(path, $"metadata \"{Activations}\"[{i}] is \"{names[i]}\"; expected {HeadActivations.Names} (GELU is the exact erf form, nn.GELU()'s default).");
        }

        return activations;
    }

    /// <summary>Reads <c>head_layers</c> as prefixes ending in '.', or null when the file has none.</summary>
    /// <exception cref="ModelFormatException">The text is not a non-empty JSON array of non-empty strings.</exception>
    public static string[]? ReadLayers(string path, IReadOnlyDictionary<string, string> metadata)
    {
        var names = ReadStrings(path, metadata, Layers, "json.dumps([\"head.fc1\", \"head.fc2\"]), the head's Linear modules in the order they run");
        if (names is null) return null;
        var prefixes = new string[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            string name = names[i].Trim();
            if (name.Length == 0)
                throw new ModelFormatException(path, $"metadata \"{Layers}\"[{i}] is empty; name each Linear module by its state_dict prefix (e.g. \"head.fc1\").");
            prefixes[i] = name.EndsWith('.') ? name : name + ".";
        }

        return prefixes;
    }

    private static string[]? ReadStrings(string path, IReadOnlyDictionary<string, string> metadata, string key, string form)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(key, out var text)) return null;
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0 || root.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                throw new ModelFormatException(path, $"metadata \"{key}\" is '{text}', not a non-empty JSON array of strings; write it as {form}.");
            return root.EnumerateArray().Select(e => e.GetString()!).ToArray();
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, $"metadata \"{key}\" is not valid JSON ({e.Message}); write it as {form}.", e);
        }
    }
}
