using System.Globalization;
using System.Text.Json;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Import;

/// <summary>
/// Saves a <see cref="RecurrentModel"/> as a PyTorch-style state_dict in safetensors, in the layout
/// <see cref="ModelLoader"/> reads (<c>rnn.weight_ih_l{k}</c>, …, <c>head.weight</c>, <c>head.bias</c>; a deeper
/// head as an nn.Sequential <c>head.0.weight</c>, <c>head.2.weight</c>, …), with metadata "cell" and
/// "head_activation" (or "head_activations"), and the model's scaling (<see cref="ScalingMetadata"/>). Loading the file again gives the same model.
/// </summary>
public static class SafetensorsModelWriter
{
    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/>.</summary>
    public static void Save(RecurrentModel model, string path, string recurrentPrefix = "rnn.", string headPrefix = "head.")
    {
        ArgumentNullException.ThrowIfNull(model);
        var tensors = new List<(string, int[], float[])>();
        for (int k = 0; k < model.LayerCount; k++)
        {
            var layer = model.Layers[k];
            tensors.Add(($"{recurrentPrefix}weight_ih_l{k}", [layer.GateRows, layer.InputSize], layer.WeightIh));
            tensors.Add(($"{recurrentPrefix}weight_hh_l{k}", [layer.GateRows, layer.RealHiddenSize], layer.WeightHh));
            if (layer.WeightHr is not null) tensors.Add(($"{recurrentPrefix}weight_hr_l{k}", [layer.ProjectionSize, layer.HiddenSize], layer.WeightHr));
            if (layer.BiasIh is not null) tensors.Add(($"{recurrentPrefix}bias_ih_l{k}", [layer.GateRows], layer.BiasIh));
            if (layer.BiasHh is not null) tensors.Add(($"{recurrentPrefix}bias_hh_l{k}", [layer.GateRows], layer.BiasHh));
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in model.Metadata) metadata[key] = value;
        metadata["cell"] = model.Cell.ToName();
        foreach (string key in ScalingMetadata.Keys) metadata.Remove(key);
        var scaling = model.Scaling;
        if (scaling.FeatureNames is { } names) metadata[ScalingMetadata.FeatureNames] = JsonSerializer.Serialize(names);
        if (scaling.FeatureMean is { } featureMean) metadata[ScalingMetadata.FeatureMean] = Json(featureMean);
        if (scaling.FeatureStd is { } featureStd) metadata[ScalingMetadata.FeatureStd] = Json(featureStd);
        if (scaling.TargetMean is { } targetMean) metadata[ScalingMetadata.TargetMean] = Json(targetMean);
        if (scaling.TargetStd is { } targetStd) metadata[ScalingMetadata.TargetStd] = Json(targetStd);
        foreach (string key in HeadMetadata.Keys) metadata.Remove(key);
        if (model.Head is { Layers.Count: 1 } head)
        {
            tensors.Add(($"{headPrefix}weight", [head.OutputSize, head.HiddenSize], head.Weight));
            if (head.Bias is not null) tensors.Add(($"{headPrefix}bias", [head.OutputSize], head.Bias));
            metadata[HeadMetadata.Activation] = head.Activation.ToName();
        }
        else if (model.Head is { } mlp)
        {
            // As nn.Sequential(Linear, act, Linear, act, …) saves it: Linear k at index 2k, its activation at 2k + 1.
            for (int k = 0; k < mlp.Layers.Count; k++)
            {
                var layer = mlp.Layers[k];
                tensors.Add(($"{headPrefix}{2 * k}.weight", [layer.OutputSize, layer.InputSize], layer.Weight));
                if (layer.Bias is not null) tensors.Add(($"{headPrefix}{2 * k}.bias", [layer.OutputSize], layer.Bias));
            }

            metadata[HeadMetadata.Activations] = JsonSerializer.Serialize(mlp.Layers.Select(l => l.Activation.ToName()));
        }

        SafetensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>A JSON array of the shortest text that reads back as the same float32.</summary>
    private static string Json(float[] values) =>
        "[" + string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
}
