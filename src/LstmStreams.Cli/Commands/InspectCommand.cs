using System.CommandLine;
using System.Globalization;
using LstmStreams.Core.Import;

namespace LstmStreams.Cli.Commands;

/// <summary><c>lstm-streams inspect MODEL</c>: what a model file holds and what streaming it costs.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A PyTorch state_dict saved as .safetensors." };
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
            var loaded = ModelLoader.Load(path, headPrefix);
            var inv = CultureInfo.InvariantCulture;
            output.WriteLine($"model:            {path}");
            output.WriteLine($"cell:             {loaded.Cell.ToString().ToLowerInvariant()}");
            output.WriteLine($"layers:           {loaded.LayerCount}");
            output.WriteLine($"input size:       {loaded.InputSize}");
            output.WriteLine($"hidden size:      {loaded.HiddenSize}");
            output.WriteLine($"output size:      {loaded.OutputSize}");
            output.WriteLine(loaded.Head is { } h
                ? $"head:             {h.Name}weight [{h.OutputSize}, {h.HiddenSize}]{(h.Bias is null ? "" : " + bias")}, activation {h.Activation.ToString().ToLowerInvariant()}"
                : "head:             none (output is the last layer's h)");
            output.WriteLine($"bias:             {(loaded.Layers[0].BiasIh is null && loaded.Layers[0].BiasHh is null ? "no" : "yes")}");
            output.WriteLine(string.Create(inv, $"parameters:       {loaded.ParameterCount:N0}"));
            output.WriteLine(string.Create(inv, $"state/sequence:   {loaded.StateBytesPerSequence:N0} bytes ({loaded.StateSize} floats: {(loaded.Cell == Core.Model.CellKind.Lstm ? "h and c" : "h")} × {loaded.LayerCount} layer(s))"));
            if (loaded.IgnoredTensors.Count > 0)
                output.WriteLine($"ignored tensors:  {string.Join(", ", loaded.IgnoredTensors)} (not part of the streamed model)");
            foreach (var (key, value) in loaded.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                output.WriteLine($"metadata:         {key} = {value}");
            return 0;
        }
        catch (ModelFormatException e)
        {
            errors.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
