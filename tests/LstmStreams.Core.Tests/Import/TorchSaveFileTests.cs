using System.IO.Compression;
using System.Text;
using LstmStreams.Core.Import;

namespace LstmStreams.Core.Tests.Import;

public sealed class TorchSaveFileTests : IDisposable
{
    private readonly TorchSaveBytes _files = new();

    public void Dispose() => _files.Dispose();

    private static string Fixture(string name) => Path.Combine(TorchSaveBytes.Fixtures, name);

    private static string LoadError(string path) => Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path)).Message;

    [Fact]
    public void Load_gives_the_same_model_from_torch_save_as_from_safetensors_of_the_same_weights()
    {
        var pt = ModelLoader.Load(Fixture("pt_lstm_2l_head_sigmoid.pt"));
        var st = ModelLoader.Load(Fixture("lstm_2l_head_sigmoid.safetensors"));
        Assert.Equal(st.Cell, pt.Cell);
        Assert.Equal(st.LayerCount, pt.LayerCount);
        for (int k = 0; k < st.LayerCount; k++)
        {
            Assert.Equal(st.Layers[k].WeightIh, pt.Layers[k].WeightIh);
            Assert.Equal(st.Layers[k].WeightHh, pt.Layers[k].WeightHh);
            Assert.Equal(st.Layers[k].BiasIh, pt.Layers[k].BiasIh);
            Assert.Equal(st.Layers[k].BiasHh, pt.Layers[k].BiasHh);
        }

        Assert.Equal(st.Head!.Weight, pt.Head!.Weight);
        Assert.Equal(st.Head.Bias, pt.Head.Bias);
        Assert.Equal(st.Head.Activation, pt.Head.Activation);
        Assert.Equal(st.Head.Name, pt.Head.Name);
        Assert.Empty(pt.IgnoredTensors);
    }

    [Fact]
    public void Read_takes_metadata_from_the_dunder_metadata_entry_and_a_plain_state_dict_has_none()
    {
        var withMetadata = TorchSaveFile.Read(Fixture("pt_lstm_2l_head_sigmoid.pt"));
        Assert.Equal("sigmoid", withMetadata.Metadata["head_activation"]);
        Assert.Equal("torch.save", withMetadata.Format);
        Assert.DoesNotContain(withMetadata.Tensors, t => t.Name == TorchSaveFile.MetadataKey);

        var plain = TorchSaveFile.Read(Fixture("pt_gru_2l_head.pt"));
        Assert.Empty(plain.Metadata);
        Assert.Equal(["head.bias", "head.weight"], plain.Tensors.Select(t => t.Name).Where(n => n.StartsWith("head", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("pt_lstm_f16.pt", SafetensorsDType.F16)]
    [InlineData("pt_gru_bf16.pt", SafetensorsDType.BF16)]
    [InlineData("pt_lstm_f64.pt", SafetensorsDType.F64)]
    [InlineData("pt_lstm_views.pt", SafetensorsDType.F32)]
    public void Read_converts_every_float_storage_type_to_float32(string name, SafetensorsDType dtype)
    {
        var file = TorchSaveFile.Read(Fixture(name));
        Assert.All(file.Tensors, t => Assert.Equal(dtype, t.DType));
        Assert.All(file.Tensors, t => Assert.Equal(t.Shape.Aggregate(1, (a, b) => a * b), t.Values.Length));
    }

    [Fact]
    public void Read_honours_offsets_and_strides_of_views_into_shared_storages()
    {
        // rnn.bias_ih_l0 and bias_hh_l0 are slices of one storage padded with zeros at both ends; head.weight is
        // every other column of a wider tensor whose other columns are zero; weight_ih_l0 is column-major.
        var file = TorchSaveFile.Read(Fixture("pt_lstm_views.pt"));
        var biasIh = file.ByName["rnn.bias_ih_l0"];
        var biasHh = file.ByName["rnn.bias_hh_l0"];
        Assert.Equal([20], biasIh.Shape);
        Assert.DoesNotContain(0f, biasIh.Values);
        Assert.DoesNotContain(0f, biasHh.Values);
        Assert.NotEqual(biasIh.Values, biasHh.Values);
        Assert.Equal([2, 5], file.ByName["head.weight"].Shape);
        Assert.DoesNotContain(0f, file.ByName["head.weight"].Values);
    }

    [Fact]
    public void Load_picks_the_format_by_content_not_by_extension()
    {
        string renamed = _files.Write(File.ReadAllBytes(Fixture("pt_gru_2l_head.pt")), ".safetensors");
        Assert.Equal(ModelFileFormat.TorchSave, ModelFileFormats.Detect(renamed));
        Assert.Equal(3, ModelLoader.Load(renamed).OutputSize);

        string safetensors = _files.Write(File.ReadAllBytes(Fixture("gru_1l.safetensors")), ".pt");
        Assert.Equal(ModelFileFormat.Safetensors, ModelFileFormats.Detect(safetensors));
        Assert.Equal(5, ModelLoader.Load(safetensors).OutputSize);
    }

    [Fact]
    public void Load_refuses_a_whole_Module_pickle_with_the_state_dict_fix()
    {
        string message = LoadError(TorchSaveBytes.Refused("module"));
        Assert.Contains("module.pt", message);
        Assert.Contains("whole nn.Module", message);
        Assert.Contains("torch.nn.modules.", message);
        Assert.Contains("torch.save(model.state_dict(), \"model.pt\")", message);
    }

    [Theory]
    [InlineData("foreign_reduce", "posix.system")]
    [InlineData("foreign_protocol4", "builtins.exec")]
    public void Load_refuses_a_pickle_asking_for_a_foreign_global_and_names_it(string name, string global)
    {
        string message = LoadError(TorchSaveBytes.Refused(name));
        Assert.Contains(name + ".pt", message);
        Assert.Contains($"asks for {global}", message);
        Assert.Contains("refused unrun", message);
    }

    [Fact]
    public void Load_refuses_the_legacy_format_with_how_to_resave()
    {
        string message = LoadError(TorchSaveBytes.Refused("legacy"));
        Assert.Contains("legacy format", message);
        Assert.Contains("torch.save(torch.load(", message);
    }

    [Fact]
    public void Load_refuses_integer_tensors_naming_the_storage_class()
    {
        string message = LoadError(TorchSaveBytes.Refused("int_buffer"));
        Assert.Contains("torch.LongStorage", message);
        Assert.Contains("float32, float16, bfloat16 and float64", message);
    }

    [Fact]
    public void Load_refuses_a_checkpoint_dict_and_says_which_entry_to_save()
    {
        string message = LoadError(TorchSaveBytes.Refused("checkpoint"));
        Assert.Contains("torch.save(checkpoint[\"model\"], \"model.pt\")", message);
    }

    [Fact]
    public void Load_refuses_a_view_reaching_past_the_end_of_its_storage()
    {
        string message = LoadError(TorchSaveBytes.Refused("bad_offset"));
        Assert.Contains("tensor 'w' [3]", message);
        Assert.Contains("reach element 11 of storage '0', which holds 10", message);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(1000)]
    [InlineData(2000)]
    public void Load_refuses_a_truncated_archive(int cut)
    {
        var bytes = File.ReadAllBytes(Fixture("pt_gru_2l_head.pt"));
        string message = LoadError(_files.Write(bytes[..^cut]));
        Assert.Contains("is not a complete zip archive", message);
        Assert.Contains("truncated or corrupt", message);
    }

    [Fact]
    public void Load_refuses_a_storage_whose_bytes_do_not_match_the_archive_checksum()
    {
        var bytes = File.ReadAllBytes(Fixture("pt_gru_2l_head.pt"));
        // the first occurrence is the local header's name, followed by its extra field and then the data
        int at = bytes.AsSpan().IndexOf("pt_gru_2l_head/data/0"u8) + "pt_gru_2l_head/data/0"u8.Length;
        int extra = BitConverter.ToUInt16(bytes, at - "pt_gru_2l_head/data/0"u8.Length - 2);
        bytes[at + extra + 5] ^= 0x01;
        string message = LoadError(_files.Write(bytes));
        Assert.Contains("storage '0'", message);
        Assert.Contains("CRC-32", message);
    }

    [Fact]
    public void Load_refuses_a_storage_declaring_more_than_the_limit_before_allocating_it()
    {
        var pickle = TorchSaveBytes.OneTensorPickle("w", numel: 1L << 32, offset: 0, size: 1);
        string message = LoadError(_files.Zip([("m/data.pkl", pickle), ("m/data/0", new byte[4])]));
        Assert.Contains("storage '0' declares 4294967296 F32 elements", message);
        Assert.Contains("limit", message);
    }

    [Fact]
    public void Load_refuses_a_storage_entry_shorter_than_its_numel()
    {
        var pickle = TorchSaveBytes.OneTensorPickle("w", numel: 4, offset: 0, size: 4);
        string message = LoadError(_files.Zip([("m/data.pkl", pickle), ("m/data/0", new byte[8])]));
        Assert.Contains("storage '0' should hold 16 bytes", message);
        Assert.Contains("holds 8", message);
    }

    [Fact]
    public void Load_refuses_a_missing_storage_entry()
    {
        var pickle = TorchSaveBytes.OneTensorPickle("w", numel: 4, offset: 0, size: 4);
        string message = LoadError(_files.Zip([("m/data.pkl", pickle)]));
        Assert.Contains("no entry 'm/data/0'", message);
    }

    [Fact]
    public void Load_refuses_a_zip_bomb_without_inflating_it()
    {
        string message = LoadError(_files.Zip([("m/data.pkl", new byte[4 * 1024 * 1024])], CompressionLevel.Optimal));
        Assert.Contains("zip bomb", message);
    }

    [Fact]
    public void Load_refuses_a_zip_that_is_not_a_torch_save_archive()
    {
        string message = LoadError(_files.Zip([("readme.txt", Encoding.UTF8.GetBytes("hello"))]));
        Assert.Contains("not a torch.save file", message);
        Assert.Contains("readme.txt", message);
    }

    [Fact]
    public void Load_refuses_a_corrupt_pickle_without_a_stack_trace()
    {
        var pickle = TorchSaveBytes.OneTensorPickle("w", numel: 4, offset: 0, size: 4);
        string message = LoadError(_files.Zip([("m/data.pkl", pickle[..^5]), ("m/data/0", new byte[16])]));
        Assert.Contains("data.pkl is not a valid pickle", message);
        Assert.DoesNotContain("   at ", message);
    }

    [Fact]
    public void Load_reads_a_hand_made_archive_with_an_offset_view()
    {
        var storage = new byte[16];
        for (int i = 0; i < 4; i++) BitConverter.TryWriteBytes(storage.AsSpan(i * 4), i + 1f);
        var file = ModelLoader.ReadStateDict(_files.Zip([("any_name/data.pkl", TorchSaveBytes.OneTensorPickle("w", 4, offset: 1, size: 3)), ("any_name/data/0", storage)]));
        Assert.Equal([2f, 3f, 4f], file.ByName["w"].Values);
    }
}
