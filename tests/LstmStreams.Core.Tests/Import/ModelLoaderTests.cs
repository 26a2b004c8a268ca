using LstmStreams.Core.Import;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Tests.Import;

public sealed class ModelLoaderTests : IDisposable
{
    private readonly SafetensorsBytes _files = new();

    public void Dispose() => _files.Dispose();

    private static List<(string, int[], float[])> LstmTensors(string prefix, int input, int hidden, int layers)
    {
        var tensors = new List<(string, int[], float[])>();
        for (int k = 0; k < layers; k++)
        {
            int width = k == 0 ? input : hidden;
            tensors.Add(($"{prefix}weight_ih_l{k}", [4 * hidden, width], new float[4 * hidden * width]));
            tensors.Add(($"{prefix}weight_hh_l{k}", [4 * hidden, hidden], new float[4 * hidden * hidden]));
            tensors.Add(($"{prefix}bias_ih_l{k}", [4 * hidden], new float[4 * hidden]));
            tensors.Add(($"{prefix}bias_hh_l{k}", [4 * hidden], new float[4 * hidden]));
        }

        return tensors;
    }

    private string Save(List<(string, int[], float[])> tensors, Dictionary<string, string>? metadata = null)
    {
        string path = _files.PathFor($"m{Guid.NewGuid():N}.safetensors");
        SafetensorsFile.Write(path, tensors, metadata);
        return path;
    }

    private static string LoadError(string path, string? head = null) =>
        Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path, head)).Message;

    [Fact]
    public void Load_finds_layers_under_any_prefix_and_the_single_head()
    {
        var tensors = LstmTensors("encoder.lstm.", 3, 5, 2);
        tensors.Add(("decoder.out.weight", [2, 5], new float[10]));
        tensors.Add(("decoder.out.bias", [2], new float[2]));
        tensors.Add(("norm.weight", [5], new float[5]));
        var model = ModelLoader.Load(Save(tensors, new() { ["cell"] = "lstm", ["head_activation"] = "sigmoid" }));
        Assert.Equal(CellKind.Lstm, model.Cell);
        Assert.Equal(2, model.LayerCount);
        Assert.Equal(3, model.InputSize);
        Assert.Equal(5, model.HiddenSize);
        Assert.Equal(2, model.OutputSize);
        Assert.Equal(HeadActivation.Sigmoid, model.Head!.Activation);
        Assert.Equal("decoder.out.", model.Head.Name);
        Assert.Equal(2 * 2 * 5, model.StateSize);
        Assert.Equal(["norm.weight"], model.IgnoredTensors);
    }

    [Fact]
    public void Load_detects_a_GRU_from_the_shape_of_weight_hh()
    {
        var tensors = new List<(string, int[], float[])>
        {
            ("weight_ih_l0", [9, 2], new float[18]),
            ("weight_hh_l0", [9, 3], new float[27]),
        };
        var model = ModelLoader.Load(Save(tensors));
        Assert.Equal(CellKind.Gru, model.Cell);
        Assert.Null(model.Layers[0].BiasIh);
        Assert.Null(model.Head);
        Assert.Equal(3, model.OutputSize);
    }

    [Fact]
    public void Load_refuses_a_bidirectional_model()
    {
        var tensors = LstmTensors("rnn.", 3, 4, 1);
        tensors.Add(("rnn.weight_ih_l0_reverse", [16, 3], new float[48]));
        Assert.Contains("bidirectional", LoadError(Save(tensors)));
    }

    [Fact]
    public void Load_refuses_a_projection_whose_rows_are_not_the_columns_of_weight_hh()
    {
        var tensors = LstmTensors("rnn.", 3, 4, 1); // weight_hh [16, 4]: a projection would need it [16, P]
        tensors.Add(("rnn.weight_hr_l0", [2, 4], new float[8]));
        string message = LoadError(Save(tensors));
        Assert.Contains("'rnn.weight_hr_l0' has shape [2, 4]", message);
        Assert.Contains("P < H", message);
    }

    [Fact]
    public void Load_refuses_a_projection_on_only_some_layers()
    {
        var tensors = LstmTensors("rnn.", 3, 4, 2);
        tensors.Add(("rnn.weight_hr_l1", [2, 4], new float[8]));
        Assert.Contains("'rnn.weight_hr_l1' is a projection but layer 0 has none", LoadError(Save(tensors)));
    }

    [Fact]
    public void Load_refuses_a_missing_layer()
    {
        var tensors = LstmTensors("rnn.", 3, 4, 3).Where(t => !t.Item1.EndsWith("_l1", StringComparison.Ordinal)).ToList();
        Assert.Contains("layer 1 is missing 'rnn.weight_ih_l1'", LoadError(Save(tensors)));
    }

    [Fact]
    public void Load_refuses_inconsistent_shapes()
    {
        var tensors = LstmTensors("rnn.", 3, 4, 2);
        int i = tensors.FindIndex(t => t.Item1 == "rnn.weight_ih_l1");
        tensors[i] = ("rnn.weight_ih_l1", [16, 5], new float[80]);
        Assert.Contains("'rnn.weight_ih_l1' has shape [16, 5]; expected [16, 4]", LoadError(Save(tensors)));

        var badBias = LstmTensors("rnn.", 3, 4, 1);
        badBias[2] = ("rnn.bias_ih_l0", [12], new float[12]);
        Assert.Contains("'rnn.bias_ih_l0' has shape [12]; expected [16]", LoadError(Save(badBias)));

        var badRows = new List<(string, int[], float[])> { ("weight_ih_l0", [10, 2], new float[20]), ("weight_hh_l0", [10, 2], new float[20]) };
        Assert.Contains("neither 4×2 (LSTM) nor 3×2 (GRU)", LoadError(Save(badRows)));
    }

    [Fact]
    public void Load_refuses_metadata_that_disagrees_with_the_shapes()
    {
        Assert.Contains("metadata \"cell\" says \"gru\"", LoadError(Save(LstmTensors("rnn.", 3, 4, 1), new() { ["cell"] = "gru" })));
        Assert.Contains("expected identity, sigmoid, tanh or softmax", LoadError(Save(LstmTensors("rnn.", 3, 4, 1), new() { ["head_activation"] = "relu6" })));
        Assert.Contains("no head", LoadError(Save(LstmTensors("rnn.", 3, 4, 1), new() { ["head_activation"] = "sigmoid" })));
    }

    [Fact]
    public void Load_lists_several_head_candidates_and_accepts_an_explicit_choice()
    {
        var tensors = LstmTensors("rnn.", 3, 4, 1);
        tensors.Add(("fc_a.weight", [2, 4], Enumerable.Repeat(1f, 8).ToArray()));
        tensors.Add(("fc_b.weight", [3, 4], new float[12]));
        tensors.Add(("fc_b.bias", [3], new float[3]));
        string path = Save(tensors);
        string message = LoadError(path);
        Assert.Contains("'fc_a.weight' [2, 4]", message);
        Assert.Contains("'fc_b.weight' [3, 4]", message);
        Assert.Contains("--head", message);
        Assert.Equal(2, ModelLoader.Load(path, "fc_a").OutputSize);
        Assert.Equal(3, ModelLoader.Load(path, "fc_b.").OutputSize);
        Assert.Null(ModelLoader.Load(path, ModelLoader.NoHead).Head);
        Assert.Contains("'fc_c.weight' is not in the file", LoadError(path, "fc_c"));
    }

    [Fact]
    public void Load_refuses_non_finite_weights()
    {
        var tensors = LstmTensors("rnn.", 3, 4, 1);
        tensors[1].Item3[5] = float.NaN;
        Assert.Contains("'rnn.weight_hh_l0' contains NaN", LoadError(Save(tensors)));
    }

    [Fact]
    public void Load_refuses_files_without_or_with_several_recurrent_modules()
    {
        Assert.Contains("holds no recurrent layer", LoadError(Save([("fc.weight", [2, 2], new float[4])])));
        var two = LstmTensors("a.", 3, 4, 1);
        two.AddRange(LstmTensors("b.", 4, 4, 1));
        Assert.Contains("several prefixes", LoadError(Save(two)));
    }

    [Theory]
    [InlineData(CellKind.Lstm, true)]
    [InlineData(CellKind.Gru, false)]
    public void Save_then_Load_gives_the_same_model_and_the_same_outputs(CellKind cell, bool bias)
    {
        var model = RandomModels.Create(cell, 4, 6, 2, 3, HeadActivation.Softmax, bias, seed: 9);
        string path = _files.PathFor($"roundtrip-{cell}.safetensors");
        SafetensorsModelWriter.Save(model, path);
        var loaded = ModelLoader.Load(path);
        Assert.Equal(model.Cell, loaded.Cell);
        Assert.Equal(model.LayerCount, loaded.LayerCount);
        Assert.Equal(model.Head!.Activation, loaded.Head!.Activation);
        for (int k = 0; k < model.LayerCount; k++)
        {
            Assert.Equal(model.Layers[k].WeightIh, loaded.Layers[k].WeightIh);
            Assert.Equal(model.Layers[k].WeightHh, loaded.Layers[k].WeightHh);
            Assert.Equal(model.Layers[k].BiasIh, loaded.Layers[k].BiasIh);
        }

        using var a = new ReferenceKernel(model, 1);
        using var b = new ReferenceKernel(loaded, 1);
        float[] sa = model.NewState(), sb = loaded.NewState(), ya = new float[3], yb = new float[3];
        a.Step([1, 2, 3, 4], [sa], ya);
        b.Step([1, 2, 3, 4], [sb], yb);
        Assert.Equal(ya, yb);
    }
}
