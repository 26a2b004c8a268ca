using LstmStreams.Core.Import;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Tests.Import;

/// <summary>The scaling keys of a model file's metadata: read when well formed, refused with the key and the fix when not.</summary>
public sealed class ScalingMetadataTests : IDisposable
{
    private const string Names = """["temp", "rpm", "pressure"]""";
    private const string Mean = "[20.5, 1200, 100000]";
    private const string Std = "[5, 300.25, 2000]";
    private readonly SafetensorsBytes _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>An LSTM with 3 inputs, hidden 2 and a Linear(2 → 2) head, with <paramref name="metadata"/>.</summary>
    private string Save(Dictionary<string, string> metadata)
    {
        var tensors = new List<(string, int[], float[])>
        {
            ("rnn.weight_ih_l0", [8, 3], new float[24]),
            ("rnn.weight_hh_l0", [8, 2], new float[16]),
            ("head.weight", [2, 2], new float[4]),
        };
        string path = _files.PathFor($"m{Guid.NewGuid():N}.safetensors");
        SafetensorsFile.Write(path, tensors, metadata);
        return path;
    }

    private static Dictionary<string, string> Full() => new()
    {
        ["feature_names"] = Names,
        ["feature_mean"] = Mean,
        ["feature_std"] = Std,
        ["target_mean"] = "[500, -3]",
        ["target_std"] = "[60, 0.5]",
    };

    private static Dictionary<string, string> With(string key, string? value)
    {
        var metadata = Full();
        if (value is null) metadata.Remove(key);
        else metadata[key] = value;
        return metadata;
    }

    private string LoadError(Dictionary<string, string> metadata)
    {
        string path = Save(metadata);
        var error = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));
        Assert.Contains(path, error.Message);
        return error.Message;
    }

    [Fact]
    public void Scaling_is_read_from_the_five_keys()
    {
        var scaling = ModelLoader.Load(Save(Full())).Scaling;
        Assert.Equal(["temp", "rpm", "pressure"], scaling.FeatureNames!);
        Assert.Equal([20.5f, 1200f, 100000f], scaling.FeatureMean!);
        Assert.Equal([5f, 300.25f, 2000f], scaling.FeatureStd!);
        Assert.Equal([500f, -3f], scaling.TargetMean!);
        Assert.Equal([60f, 0.5f], scaling.TargetStd!);
        Assert.True(scaling.ScalesInputs);
        Assert.True(scaling.ScalesOutputs);
    }

    [Fact]
    public void Scaling_is_empty_when_the_file_carries_none()
    {
        var model = ModelLoader.Load(Save([]));
        Assert.Same(FeatureScaling.None, model.Scaling);
        Assert.True(model.Scaling.IsEmpty);
        Assert.Same(model, model.WithoutScaling());
    }

    [Fact]
    public void Scaling_accepts_inputs_only_outputs_only_or_names_only()
    {
        var inputsOnly = ModelLoader.Load(Save(new() { ["feature_mean"] = Mean, ["feature_std"] = Std })).Scaling;
        Assert.True(inputsOnly.ScalesInputs);
        Assert.False(inputsOnly.ScalesOutputs);
        Assert.Null(inputsOnly.FeatureNames);

        var outputsOnly = ModelLoader.Load(Save(new() { ["target_mean"] = "[1, 2]", ["target_std"] = "[3, 4]" })).Scaling;
        Assert.False(outputsOnly.ScalesInputs);
        Assert.True(outputsOnly.ScalesOutputs);

        var namesOnly = ModelLoader.Load(Save(new() { ["feature_names"] = Names })).Scaling;
        Assert.False(namesOnly.ChangesNumbers);
        Assert.False(namesOnly.IsEmpty);
    }

    [Fact]
    public void Scaling_reads_a_float32_written_as_a_double_back_exactly()
    {
        // What Python writes for torch.float32 values: json.dumps([float(v) for v in tensor]).
        var scaling = ModelLoader.Load(Save(With("feature_mean", "[19.910526275634766, 1202.3592529296875, 100053.984375]"))).Scaling;
        Assert.Equal([19.910526275634766f, 1202.3592529296875f, 100053.984375f], scaling.FeatureMean!);
    }

    [Fact]
    public void Scaling_rejects_bad_JSON()
    {
        string message = LoadError(With("feature_mean", "[20.5, 1200,"));
        Assert.Contains("\"feature_mean\" is not valid JSON", message);
        Assert.Contains("json.dumps", message);
    }

    [Fact]
    public void Scaling_rejects_JSON_that_is_not_an_array_of_numbers()
    {
        Assert.Contains("\"feature_std\" is '{\"std\": 5}', not a JSON array of numbers", LoadError(With("feature_std", """{"std": 5}""")));
        Assert.Contains("\"target_mean\" is '[\"500\", 1]', not a JSON array of numbers", LoadError(With("target_mean", """["500", 1]""")));
        Assert.Contains("\"feature_names\" is '[\"temp\", 2, \"x\"]', not a JSON array of strings", LoadError(With("feature_names", """["temp", 2, "x"]""")));
        Assert.Contains("\"feature_names\" is not valid JSON", LoadError(With("feature_names", "temp,rpm,pressure")));
    }

    [Fact]
    public void Scaling_rejects_a_feature_std_of_the_wrong_length_naming_both_lengths()
    {
        Assert.Contains("metadata \"feature_std\" has 2 values but the model takes 3 inputs", LoadError(With("feature_std", "[5, 300]")));
    }

    [Fact]
    public void Scaling_rejects_wrong_lengths_of_every_key()
    {
        Assert.Contains("metadata \"feature_mean\" has 4 values but the model takes 3 inputs", LoadError(With("feature_mean", "[1, 2, 3, 4]")));
        Assert.Contains("metadata \"target_mean\" has 1 values but the model gives 2 outputs", LoadError(With("target_mean", "[500]")));
        Assert.Contains("metadata \"target_std\" has 3 values but the model gives 2 outputs", LoadError(With("target_std", "[1, 2, 3]")));
        Assert.Contains("metadata \"feature_names\" has 2 names but the model takes 3 inputs", LoadError(With("feature_names", """["temp", "rpm"]""")));
    }

    [Fact]
    public void Scaling_rejects_zero_std()
    {
        string message = LoadError(With("feature_std", "[5, 0, 2000]"));
        Assert.Contains("metadata \"feature_std\"[1] is 0; a standard deviation must be positive and finite", message);
        Assert.Contains("constant column", message);
    }

    [Fact]
    public void Scaling_rejects_a_std_too_small_for_float32()
    {
        Assert.Contains("metadata \"target_std\"[0] is 0", LoadError(With("target_std", "[1e-50, 1]")));
    }

    [Theory]
    [InlineData("[5, -300, 2000]", "[1] is -300")]
    [InlineData("[5, 300, NaN]", "[2] is NaN")]
    [InlineData("[Infinity, 300, 2000]", "[0] is Infinity")]
    [InlineData("[5, 1e300, 2000]", "[1] is Infinity")]
    public void Scaling_rejects_a_negative_NaN_or_infinite_std(string std, string expected)
    {
        string message = LoadError(With("feature_std", std));
        Assert.Contains($"metadata \"feature_std\"{expected}", message);
        Assert.Contains("must be positive and finite", message);
    }

    [Theory]
    [InlineData("[NaN, 1200, 100000]", "[0] is NaN")]
    [InlineData("[20, -Infinity, 100000]", "[1] is -Infinity")]
    public void Scaling_rejects_a_NaN_or_infinite_mean(string mean, string expected)
    {
        string message = LoadError(With("feature_mean", mean));
        Assert.Contains($"metadata \"feature_mean\"{expected}; a mean must be a finite float32", message);
    }

    [Theory]
    [InlineData("feature_std", "metadata has \"feature_mean\" but no \"feature_std\"")]
    [InlineData("feature_mean", "metadata has \"feature_std\" but no \"feature_mean\"")]
    [InlineData("target_std", "metadata has \"target_mean\" but no \"target_std\"")]
    [InlineData("target_mean", "metadata has \"target_std\" but no \"target_mean\"")]
    public void Scaling_rejects_a_mean_without_its_std_or_the_reverse(string missing, string expected)
    {
        string message = LoadError(With(missing, null));
        Assert.Contains(expected, message);
        Assert.Contains("write both", message);
    }

    [Fact]
    public void Scaling_rejects_duplicate_feature_names()
    {
        Assert.Contains("metadata \"feature_names\" names \"rpm\" twice (positions 0 and 2); feature names must be unique",
            LoadError(With("feature_names", """["rpm", "temp", "rpm"]""")));
    }

    [Fact]
    public void Scaling_rejects_empty_feature_names()
    {
        Assert.Contains("metadata \"feature_names\"[1] is empty", LoadError(With("feature_names", """["temp", " ", "pressure"]""")));
    }

    [Fact]
    public void Scaling_survives_a_save_and_load_round_trip()
    {
        var model = ModelLoader.Load(Save(Full()));
        string copy = _files.PathFor("copy.safetensors");
        SafetensorsModelWriter.Save(model, copy);
        var again = ModelLoader.Load(copy).Scaling;
        Assert.Equal(model.Scaling.FeatureNames!, again.FeatureNames!);
        Assert.Equal(model.Scaling.FeatureMean!, again.FeatureMean!);
        Assert.Equal(model.Scaling.FeatureStd!, again.FeatureStd!);
        Assert.Equal(model.Scaling.TargetMean!, again.TargetMean!);
        Assert.Equal(model.Scaling.TargetStd!, again.TargetStd!);

        string raw = _files.PathFor("raw.safetensors");
        SafetensorsModelWriter.Save(model.WithoutScaling(), raw);
        var rawScaling = ModelLoader.Load(raw).Scaling;
        Assert.False(rawScaling.ChangesNumbers);
        Assert.Equal(model.Scaling.FeatureNames!, rawScaling.FeatureNames!);
    }
}
