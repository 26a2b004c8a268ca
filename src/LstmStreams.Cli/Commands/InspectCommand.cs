using System.CommandLine;
using System.Globalization;
using LstmStreams.Core.Import;
using LstmStreams.Core.Model;

namespace LstmStreams.Cli.Commands;

/// <summary><c>lstm-streams inspect MODEL</c>: what a model file holds and what streaming it costs.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A PyTorch state_dict saved by torch.save (.pt) or as .safetensors." };
        var head = new Option<string?>("--head") { Description = "State_dict prefix of the output head when several Linear layers qualify (or 'none')." };
        var command = new Command("inspect", "Print a model's cell kind, layers, sizes, head, parameter count and state bytes per sequence.")
        {
            model,
            head,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(head), Console.Out, Console.Error));
        return command;
    }

    internal static int Run(string path, string? headPrefix, TextWriter output, TextWriter errors)
    {
        try
        {
            var format = ModelFileFormats.Detect(path);
            var loaded = ModelLoader.Load(path, headPrefix);
            var inv = CultureInfo.InvariantCulture;
            output.WriteLine($"model:            {path}");
            output.WriteLine($"format:           {format.ToName()}");
            output.WriteLine($"cell:             {loaded.Cell.ToString().ToLowerInvariant()}");
            output.WriteLine($"layers:           {loaded.LayerCount}");
            output.WriteLine($"input size:       {loaded.InputSize}");
            output.WriteLine($"hidden size:      {loaded.HiddenSize}");
            if (loaded.HasProjection)
                output.WriteLine($"projection:       proj_size {loaded.ProjectionSize} (weight_hr [{loaded.ProjectionSize}, {loaded.HiddenSize}]: h is {loaded.ProjectionSize} wide, c {loaded.HiddenSize})");
            output.WriteLine($"output size:      {loaded.OutputSize}");
            WriteHead(loaded.Head, output);
            output.WriteLine($"bias:             {(loaded.Layers[0].BiasIh is null && loaded.Layers[0].BiasHh is null ? "no" : "yes")}");
            output.WriteLine(string.Create(inv, $"parameters:       {loaded.ParameterCount:N0}"));
            output.WriteLine(string.Create(inv, $"state/sequence:   {loaded.StateBytesPerSequence:N0} bytes ({loaded.StateSize} floats: {(loaded.Cell == Core.Model.CellKind.Lstm ? loaded.HasProjection ? $"h [{loaded.ProjectionSize}] and c [{loaded.HiddenSize}]" : "h and c" : "h")} × {loaded.LayerCount} layer(s))"));
            if (loaded.IgnoredTensors.Count > 0)
                output.WriteLine($"ignored tensors:  {string.Join(", ", loaded.IgnoredTensors)} (not part of the streamed model)");
            WriteScaling(loaded.Scaling, output);
            foreach (var (key, value) in loaded.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!ScalingMetadata.Keys.Contains(key)) // shown above, read
                    output.WriteLine($"metadata:         {key} = {value}");
            }

            return 0;
        }
        catch (ModelFormatException e)
        {
            errors.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    /// <summary>The head's Linear layers in order, each with its tensor, widths and the activation after it.</summary>
    private static void WriteHead(OutputHead? head, TextWriter output)
    {
        if (head is null)
        {
            output.WriteLine("head:             none (output is the last layer's h)");
            return;
        }

        if (head.Layers.Count == 1)
        {
            output.WriteLine($"head:             {head.Name}weight [{head.OutputSize}, {head.HiddenSize}]{(head.Bias is null ? "" : " + bias")}, activation {head.Activation.ToName()}");
            return;
        }

        output.WriteLine($"head:             {head.Layers.Count} Linear layers, {head.HiddenSize} → {string.Join(" → ", head.Layers.Select(l => l.OutputSize))}");
        for (int k = 0; k < head.Layers.Count; k++)
        {
            var layer = head.Layers[k];
            output.WriteLine($"  head layer {k,-5} {layer.Name}weight [{layer.OutputSize}, {layer.InputSize}]{(layer.Bias is null ? "" : " + bias")}, activation {layer.Activation.ToName()}");
        }
    }

    /// <summary>The feature names with each input's mean and std, then each output's; or that there is none.</summary>
    private static void WriteScaling(FeatureScaling scaling, TextWriter output)
    {
        if (scaling.IsEmpty)
        {
            output.WriteLine("scaling:          none (inputs and outputs are the model's own)");
            return;
        }

        output.WriteLine("scaling:          " + (scaling.ScalesInputs, scaling.ScalesOutputs) switch
        {
            (true, true) => "inputs (x - mean) / std, outputs y * std + mean (run applies both)",
            (true, false) => "inputs (x - mean) / std (run applies it); outputs as the model gives them",
            (false, true) => "outputs y * std + mean (run applies it); inputs as they come",
            _ => "names only",
        });
        int inputs = scaling.FeatureNames?.Count ?? scaling.FeatureMean?.Length ?? 0;
        for (int j = 0; j < inputs; j++)
        {
            string name = scaling.FeatureNames is { } names ? names[j] : $"x{j}";
            string numbers = scaling.FeatureMean is { } mean && scaling.FeatureStd is { } std ? $"  mean {Show(mean[j])}  std {Show(std[j])}" : "";
            output.WriteLine($"  input {j,-3}        {name}{numbers}");
        }

        if (scaling.TargetMean is { } targetMean && scaling.TargetStd is { } targetStd)
        {
            for (int i = 0; i < targetMean.Length; i++)
                output.WriteLine($"  output {i,-3}       mean {Show(targetMean[i])}  std {Show(targetStd[i])}");
        }
    }

    private static string Show(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
