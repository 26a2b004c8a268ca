using LstmStreams.Core.Import;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Tests.Import;

/// <summary>
/// How the loader maps a head of several Linear layers, and every head it refuses rather than truncating:
/// the PyTorch-written files in tests/fixtures/pytorch/mlp_refused (as safetensors and torch.save) and
/// small synthetic state_dicts for the rules the fixtures do not reach.
/// </summary>
public sealed class MlpHeadLoaderTests : IDisposable
{
    private readonly SafetensorsBytes _files = new();

    public void Dispose() => _files.Dispose();

    private static string Refused(string file) =>
        Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch", "mlp_refused", file);

    private static string LoadError(string path, string? head = null) =>
        Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path, head)).Message;

    private static List<(string, int[], float[])> Gru(int input, int hidden)
    {
        return
        [
            ("rnn.weight_ih_l0", [3 * hidden, input], new float[3 * hidden * input]),
            ("rnn.weight_hh_l0", [3 * hidden, hidden], new float[3 * hidden * hidden]),
        ];
    }

    private static (string, int[], float[]) Tensor(string name, params int[] shape) =>
        (name, shape, Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(i => (i % 7 - 3) * 0.1f).ToArray());

    private string Save(List<(string, int[], float[])> tensors, Dictionary<string, string>? metadata = null)
    {
        string path = _files.PathFor($"m{Guid.NewGuid():N}.safetensors");
        SafetensorsFile.Write(path, tensors, metadata);
        return path;
    }

    [Theory]
    [InlineData(".safetensors")]
    [InlineData(".pt")]
    public void A_Sequential_gap_without_declared_activations_is_refused_with_the_metadata_to_add(string extension)
    {
        string message = LoadError(Refused("gap_undeclared" + extension));
        Assert.Contains("the head 'head.' is an nn.Sequential with Linear layers at indices 0, 2 ('head.0' [16, 8] → 'head.2' [3, 16])", message);
        Assert.Contains("index 1 holds no tensor, so it is an activation (or Dropout) the file does not name", message);
        Assert.Contains("\"head_activations\": '[\"relu\", \"identity\"]'", message);
    }

    [Theory]
    [InlineData(".safetensors")]
    [InlineData(".pt")]
    public void A_layer_of_another_kind_in_the_head_is_refused(string extension)
    {
        string message = LoadError(Refused("unknown_layer" + extension));
        Assert.Contains("module 'head.1' holds 'head.1.bias' [16], 'head.1.weight' [16], which is not an nn.Linear", message);
        Assert.Contains("fold a normalization into the Linear before saving", message);
    }

    [Theory]
    [InlineData(".safetensors")]
    [InlineData(".pt")]
    public void Widths_that_do_not_chain_are_refused(string extension)
    {
        string message = LoadError(Refused("widths_do_not_chain" + extension));
        Assert.Contains("head layer 'head.2.weight' [3, 12] takes 12 inputs but 'head.0.weight' [16, 6] gives 16: the head's widths do not chain", message);
    }

    [Theory]
    [InlineData(".safetensors")]
    [InlineData(".pt")]
    public void Declaring_fewer_activations_than_Linear_layers_is_refused(string extension)
    {
        string message = LoadError(Refused("wrong_count" + extension));
        Assert.Contains("metadata \"head_activations\" has 2 name(s) but the head 'head.' has 3 Linear layer(s) ('head.0', 'head.2', 'head.4')", message);
    }

    [Theory]
    [InlineData(".safetensors")]
    [InlineData(".pt")]
    public void An_unknown_activation_is_refused_with_the_supported_names(string extension)
    {
        string message = LoadError(Refused("unknown_activation" + extension));
        Assert.Contains("metadata \"head_activations\"[0] is \"silu\"; expected identity, sigmoid, tanh or softmax, relu or gelu", message);
    }

    [Fact]
    public void A_declared_activation_between_consecutive_indices_is_refused()
    {
        var tensors = Gru(2, 4);
        tensors.AddRange([Tensor("head.0.weight", 6, 4), Tensor("head.1.weight", 2, 6)]);
        string message = LoadError(Save(tensors, new() { ["head_activations"] = "[\"relu\", \"identity\"]" }));
        Assert.Contains("'head.1' follows 'head.0' directly in the nn.Sequential: no module sits between them", message);
    }

    [Fact]
    public void Linear_layers_at_consecutive_indices_need_no_declaration()
    {
        var tensors = Gru(2, 4);
        tensors.AddRange([Tensor("head.0.weight", 6, 4), Tensor("head.0.bias", 6), Tensor("head.1.weight", 2, 6)]);
        var head = ModelLoader.Load(Save(tensors, new() { ["head_activation"] = "sigmoid" })).Head!;
        Assert.Equal([HeadActivation.Identity, HeadActivation.Sigmoid], head.Layers.Select(l => l.Activation));
        Assert.Equal(2, head.OutputSize);
    }

    [Fact]
    public void Head_activation_that_contradicts_head_activations_is_refused()
    {
        var tensors = Gru(2, 4);
        tensors.AddRange([Tensor("head.0.weight", 6, 4), Tensor("head.2.weight", 2, 6)]);
        string message = LoadError(Save(tensors, new() { ["head_activations"] = "[\"relu\", \"identity\"]", ["head_activation"] = "sigmoid" }));
        Assert.Contains("metadata \"head_activation\" is \"sigmoid\" but \"head_activations\" ends with \"identity\"", message);
    }

    [Fact]
    public void Named_modules_without_declared_activations_are_refused()
    {
        var tensors = Gru(2, 4);
        tensors.AddRange([Tensor("head.fc1.weight", 6, 4), Tensor("head.fc2.weight", 2, 6)]);
        string message = LoadError(Save(tensors));
        Assert.Contains("the head is 2 named Linear modules chained by their widths ('head.fc1' [6, 4] → 'head.fc2' [2, 6])", message);
        Assert.Contains("\"head_activations\"", message);
    }

    [Fact]
    public void Named_modules_that_chain_two_ways_are_refused_and_head_layers_orders_them()
    {
        var tensors = Gru(2, 4);
        tensors.AddRange([Tensor("head.a.weight", 4, 4), Tensor("head.b.weight", 4, 4), Tensor("head.c.weight", 1, 4)]);
        Assert.Contains("several tensors could be the output head", LoadError(Save(tensors)));
        Assert.Contains("several Linear weights could take them next", LoadError(Save(tensors), "head.a"));
        var head = ModelLoader.Load(Save(tensors, new()
        {
            ["head_layers"] = "[\"head.b\", \"head.a\", \"head.c\"]",
            ["head_activations"] = "[\"tanh\", \"gelu\", \"sigmoid\"]",
        })).Head!;
        Assert.Equal(["head.b.", "head.a.", "head.c."], head.Layers.Select(l => l.Name));
        Assert.Equal([HeadActivation.Tanh, HeadActivation.Gelu, HeadActivation.Sigmoid], head.Layers.Select(l => l.Activation));
    }

    [Fact]
    public void A_second_Linear_after_a_single_head_is_part_of_the_head_not_ignored()
    {
        var tensors = Gru(2, 4);
        tensors.AddRange([Tensor("fc.weight", 6, 4), Tensor("out.weight", 2, 6)]);
        Assert.Contains("the head is 2 named Linear modules", LoadError(Save(tensors)));
    }

    [Fact]
    public void A_ModuleList_of_the_recurrent_module_then_Linears_starts_the_head_after_the_recurrent_module()
    {
        // nn.ModuleList([nn.GRU(2, 4), nn.Linear(4, 6), nn.Linear(6, 2)]): the head is layers.1, layers.2.
        var tensors = new List<(string, int[], float[])>
        {
            ("layers.0.weight_ih_l0", [12, 2], new float[24]),
            ("layers.0.weight_hh_l0", [12, 4], new float[48]),
            Tensor("layers.1.weight", 6, 4),
            Tensor("layers.2.weight", 2, 6),
        };
        var head = ModelLoader.Load(Save(tensors)).Head!;
        Assert.Equal(["layers.1.", "layers.2."], head.Layers.Select(l => l.Name));
        tensors[3] = Tensor("layers.3.weight", 2, 6);
        Assert.Contains("index 2 holds no tensor", LoadError(Save(tensors)));
    }

    [Fact]
    public void Choosing_a_Sequential_by_its_prefix_takes_the_whole_Sequential()
    {
        var tensors = Gru(2, 4);
        tensors.AddRange([Tensor("head.0.weight", 6, 4), Tensor("head.2.weight", 2, 6)]);
        string path = Save(tensors, new() { ["head_activations"] = "[\"relu\", \"softmax\"]" });
        Assert.Equal(2, ModelLoader.Load(path, "head").Head!.Layers.Count);
        Assert.Equal(2, ModelLoader.Load(path, "head.0").Head!.Layers.Count);
        Assert.Null(ModelLoader.Load(path, ModelLoader.NoHead).Head);
    }

    [Fact]
    public void Save_then_Load_keeps_a_deep_head_and_its_outputs()
    {
        var tensors = Gru(2, 4);
        tensors.AddRange([Tensor("head.0.weight", 6, 4), Tensor("head.0.bias", 6), Tensor("head.2.weight", 3, 6), Tensor("head.2.bias", 3)]);
        var model = ModelLoader.Load(Save(tensors, new() { ["head_activations"] = "[\"gelu\", \"softmax\"]" }));
        string copy = _files.PathFor("copy.safetensors");
        SafetensorsModelWriter.Save(model, copy);
        var again = ModelLoader.Load(copy);
        Assert.Equal(model.Head!.Describe(), again.Head!.Describe());
        using var a = new ReferenceKernel(model, 1);
        using var b = new ReferenceKernel(again, 1);
        float[] ya = new float[3], yb = new float[3];
        a.Step([0.5f, -1f], [model.NewState()], ya);
        b.Step([0.5f, -1f], [again.NewState()], yb);
        Assert.Equal(ya, yb);
        Assert.Equal(1f, ya.Sum(), 5);
    }
}
