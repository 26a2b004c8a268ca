using System.Text.RegularExpressions;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Import;

/// <summary>
/// Builds a <see cref="RecurrentModel"/> from a PyTorch <c>state_dict</c> saved by torch.save or as safetensors
/// (the same mapping for both), finding the
/// tensors by PyTorch's names under any prefix: <c>&lt;p&gt;weight_ih_l{k}</c> [G*H, in_k],
/// <c>&lt;p&gt;weight_hh_l{k}</c> [G*H, H], optional <c>&lt;p&gt;bias_ih_l{k}</c> and <c>&lt;p&gt;bias_hh_l{k}</c> [G*H].
/// G = 4 is LSTM and G = 3 is GRU. The head, one nn.Linear whose weight is [O, H] or a stack of them, is
/// mapped whole or refused by <see cref="HeadMapping"/>. The input and output
/// standardization, when the metadata carries it, is read by <see cref="ScalingMetadata"/>.
/// </summary>
public static partial class ModelLoader
{
    /// <summary>Pass as the head prefix to load the model without a head even if a candidate exists.</summary>
    public const string NoHead = "none";

    [GeneratedRegex(@"^(?<prefix>.*?)(?<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?<layer>\d+)(?<reverse>_reverse)?$", RegexOptions.CultureInvariant)]
    private static partial Regex RecurrentName();

    /// <summary>Loads a model file, choosing the reader by the file's content (<see cref="ModelFileFormats.Detect"/>).</summary>
    /// <param name="path">A state_dict saved by torch.save (a zip archive) or as safetensors, whatever its extension.</param>
    /// <param name="headPrefix">null to find the head automatically; a state_dict prefix such as "head" or
    /// "decoder.fc." to choose it; <see cref="NoHead"/> for none.</param>
    /// <exception cref="ModelFormatException">The file is unreadable, corrupt or holds no streamable model.</exception>
    public static RecurrentModel Load(string path, string? headPrefix = null) =>
        FromStateDict(ReadStateDict(path), headPrefix);

    /// <summary>Reads the state_dict of a torch.save or safetensors file, whichever it is.</summary>
    /// <exception cref="ModelFormatException">The file is unreadable, corrupt or of another format; the message lists the accepted ones.</exception>
    public static StateDict ReadStateDict(string path) => ModelFileFormats.Detect(path) switch
    {
        ModelFileFormat.TorchSave => TorchSaveFile.Read(path),
        _ => FromSafetensors(SafetensorsFile.Read(path)),
    };

    private static StateDict FromSafetensors(SafetensorsFile file) =>
        new(file.Path, ModelFileFormat.Safetensors.ToName(), file.Metadata, file.Tensors);

    /// <summary>Builds a model from a safetensors file already read.</summary>
    public static RecurrentModel FromStateDict(SafetensorsFile file, string? headPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        return FromStateDict(FromSafetensors(file), headPrefix);
    }

    /// <summary>Builds a model from a state_dict already read, from any format.</summary>
    public static RecurrentModel FromStateDict(StateDict file, string? headPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        string path = file.Path;
        var recurrent = new Dictionary<string, Dictionary<(string Kind, int Layer), SafetensorsTensor>>(StringComparer.Ordinal);
        foreach (var tensor in file.Tensors)
        {
            var match = RecurrentName().Match(tensor.Name);
            if (!match.Success) continue;
            if (match.Groups["reverse"].Success)
                throw new ModelFormatException(path, $"'{tensor.Name}' belongs to a bidirectional RNN; a bidirectional model needs the whole sequence in advance and cannot be streamed. Train with bidirectional=False.");
            string prefix = match.Groups["prefix"].Value;
            if (!int.TryParse(match.Groups["layer"].Value, out int layer))
                throw new ModelFormatException(path, $"'{tensor.Name}' has a layer number out of range.");
            if (!recurrent.TryGetValue(prefix, out var group))
                recurrent[prefix] = group = new();
            group[(match.Groups["kind"].Value, layer)] = tensor;
        }

        if (recurrent.Count == 0)
            throw new ModelFormatException(path, "holds no recurrent layer: expected PyTorch names such as 'rnn.weight_ih_l0' and 'rnn.weight_hh_l0' (save model.state_dict() of a module with an nn.LSTM or nn.GRU). " +
                $"Tensors found: {Preview(file.Tensors.Select(t => t.Name))}.");
        if (recurrent.Count > 1)
            throw new ModelFormatException(path, $"holds recurrent layers under several prefixes ({string.Join(", ", recurrent.Keys.Select(k => $"'{k}'"))}); only one nn.LSTM/nn.GRU module (with num_layers for stacking) is supported.");

        var (recurrentPrefix, tensors) = recurrent.First();
        foreach (var tensor in tensors.Values)
            CheckFinite(path, tensor);
        var cell = DetectCell(file, recurrentPrefix, tensors, out int hidden);
        var layers = BuildLayers(path, recurrentPrefix, tensors, cell, hidden);
        int real = layers[0].RealHiddenSize;
        var head = HeadMapping.Find(file, real, headPrefix, name => RecurrentName().IsMatch(name));
        var scaling = ScalingMetadata.Read(path, file.Metadata, layers[0].InputSize, head?.OutputSize ?? real);
        var used = new HashSet<string>(tensors.Values.Select(t => t.Name), StringComparer.Ordinal);
        foreach (var layer in head?.Layers ?? [])
        {
            used.Add(layer.Name + "weight");
            used.Add(layer.Name + "bias");
        }

        try
        {
            return new RecurrentModel(cell, layers, head, file.Metadata, scaling)
            {
                IgnoredTensors = file.Tensors.Select(t => t.Name).Where(n => !used.Contains(n)).ToList(),
            };
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(path, e.Message, e);
        }
    }

    private static CellKind DetectCell(StateDict file, string prefix, Dictionary<(string Kind, int Layer), SafetensorsTensor> tensors, out int hidden)
    {
        string path = file.Path;
        if (!tensors.TryGetValue(("weight_hh", 0), out var weightHh0))
            throw new ModelFormatException(path, $"layer 0 is missing '{prefix}weight_hh_l0'.");
        if (weightHh0.Shape.Length != 2 || weightHh0.Shape[1] == 0)
            throw new ModelFormatException(path, $"'{weightHh0.Name}' has shape {weightHh0.ShapeText}; expected [G*H, H].");
        hidden = weightHh0.Shape[1];
        if (tensors.TryGetValue(("weight_hr", 0), out var weightHr0))
        {
            // nn.LSTM(proj_size=P): weight_hr_l0 is [P, H] and weight_hh_l0 [4H, P].
            if (weightHr0.Shape.Length != 2 || weightHr0.Shape[0] != hidden || weightHr0.Shape[1] <= hidden)
                throw new ModelFormatException(path, $"'{weightHr0.Name}' has shape {weightHr0.ShapeText}; a projection is [P, H] with P = {hidden} (the columns of '{weightHh0.Name}' {weightHh0.ShapeText}) and P < H, as PyTorch requires.");
            if (weightHh0.Shape[0] != 4 * weightHr0.Shape[1])
                throw new ModelFormatException(path, $"'{weightHr0.Name}' {weightHr0.ShapeText} does not fit '{weightHh0.Name}' {weightHh0.ShapeText}: a projection [P, H] needs weight_hh [4H, P] = [{4 * weightHr0.Shape[1]}, {hidden}].");
            hidden = weightHr0.Shape[1];
        }

        int rows = weightHh0.Shape[0];
        CellKind cell;
        if (rows == 4 * hidden) cell = CellKind.Lstm;
        else if (rows == 3 * hidden) cell = CellKind.Gru;
        else
            throw new ModelFormatException(path, $"'{weightHh0.Name}' has shape {weightHh0.ShapeText}: {rows} rows is neither 4×{hidden} (LSTM) nor 3×{hidden} (GRU).");
        if (weightHr0 is not null && cell != CellKind.Lstm)
            throw new ModelFormatException(path, $"'{weightHr0.Name}' is a projection, which only nn.LSTM has, but '{weightHh0.Name}' {weightHh0.ShapeText} is the shape of a {cell.ToName().ToUpperInvariant()}.");

        if (file.Metadata.TryGetValue("cell", out var declared))
        {
            string name = declared.Trim().ToLowerInvariant();
            if (name is not ("lstm" or "gru"))
                throw new ModelFormatException(path, $"metadata \"cell\" is \"{declared}\"; expected \"lstm\" or \"gru\".");
            if (name != cell.ToName())
                throw new ModelFormatException(path, $"metadata \"cell\" says \"{declared}\" but '{weightHh0.Name}' {weightHh0.ShapeText} is the shape of a {cell.ToName().ToUpperInvariant()}.");
        }

        return cell;
    }

    private static List<RecurrentLayer> BuildLayers(string path, string prefix, Dictionary<(string Kind, int Layer), SafetensorsTensor> tensors, CellKind cell, int hidden)
    {
        int top = tensors.Keys.Max(k => k.Layer);
        int gateRows = cell.GateCount() * hidden;
        bool projected = tensors.ContainsKey(("weight_hr", 0));
        int real = projected ? tensors[("weight_hr", 0)].Shape[0] : hidden;
        var layers = new List<RecurrentLayer>(top + 1);
        for (int k = 0; k <= top; k++)
        {
            int expectedInput = k == 0 ? -1 : real;
            var weightIh = Require(path, prefix, tensors, "weight_ih", k, top);
            var weightHh = Require(path, prefix, tensors, "weight_hh", k, top);
            float[]? weightHr = null;
            if (projected)
            {
                var hr = Require(path, prefix, tensors, "weight_hr", k, top);
                if (hr.Shape.Length != 2 || hr.Shape[0] != real || hr.Shape[1] != hidden)
                    throw new ModelFormatException(path, $"'{hr.Name}' has shape {hr.ShapeText}; expected [{real}, {hidden}] ([proj_size, hidden_size]) like layer 0.");
                weightHr = hr.Values;
            }
            else if (tensors.TryGetValue(("weight_hr", k), out var stray))
            {
                throw new ModelFormatException(path, $"'{stray.Name}' is a projection but layer 0 has none ('{prefix}weight_hr_l0' is missing); nn.LSTM(proj_size=P) projects every layer.");
            }

            if (weightIh.Shape.Length != 2 || weightIh.Shape[0] != gateRows || weightIh.Shape[1] == 0 || (expectedInput > 0 && weightIh.Shape[1] != expectedInput))
                throw new ModelFormatException(path, $"'{weightIh.Name}' has shape {weightIh.ShapeText}; expected [{gateRows}, {(expectedInput > 0 ? expectedInput.ToString() : "input_size")}].");
            if (weightHh.Shape.Length != 2 || weightHh.Shape[0] != gateRows || weightHh.Shape[1] != real)
                throw new ModelFormatException(path, $"'{weightHh.Name}' has shape {weightHh.ShapeText}; expected [{gateRows}, {real}] like layer 0.");
            var biasIh = OptionalBias(path, tensors, "bias_ih", k, gateRows);
            var biasHh = OptionalBias(path, tensors, "bias_hh", k, gateRows);
            layers.Add(new RecurrentLayer(cell, weightIh.Shape[1], hidden, weightIh.Values, weightHh.Values, biasIh, biasHh, weightHr));
        }

        return layers;
    }

    private static SafetensorsTensor Require(string path, string prefix, Dictionary<(string Kind, int Layer), SafetensorsTensor> tensors, string kind, int layer, int top)
    {
        if (tensors.TryGetValue((kind, layer), out var tensor)) return tensor;
        throw new ModelFormatException(path, $"layer {layer} is missing '{prefix}{kind}_l{layer}' (tensors exist up to layer {top}); the state_dict is incomplete.");
    }

    private static float[]? OptionalBias(string path, Dictionary<(string Kind, int Layer), SafetensorsTensor> tensors, string kind, int layer, int gateRows)
    {
        if (!tensors.TryGetValue((kind, layer), out var bias)) return null;
        if (bias.Shape.Length != 1 || bias.Shape[0] != gateRows)
            throw new ModelFormatException(path, $"'{bias.Name}' has shape {bias.ShapeText}; expected [{gateRows}].");
        return bias.Values;
    }

    internal static void CheckFinite(string path, SafetensorsTensor tensor)
    {
        foreach (float value in tensor.Values)
        {
            if (!float.IsFinite(value))
                throw new ModelFormatException(path, $"tensor '{tensor.Name}' contains {value}; a model with NaN or infinite weights cannot give meaningful predictions (was training diverging?).");
        }
    }

    internal static string Preview(IEnumerable<string> names)
    {
        var list = names.Take(11).ToList();
        if (list.Count == 0) return "none";
        return string.Join(", ", list.Take(10).Select(n => $"'{n}'")) + (list.Count > 10 ? ", …" : "");
    }
}
