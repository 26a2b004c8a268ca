using System.Buffers.Binary;
using LstmStreams.Core.Import;

namespace LstmStreams.Core.Tests.Import;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly SafetensorsBytes _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Read_converts_every_supported_dtype_to_float32()
    {
        var data = new List<byte>();
        data.AddRange(SafetensorsBytes.Floats(1.5f, -2f));
        var half = new byte[4];
        BinaryPrimitives.WriteHalfLittleEndian(half, (Half)0.25f);
        BinaryPrimitives.WriteHalfLittleEndian(half.AsSpan(2), (Half)(-3f));
        data.AddRange(half);
        var bf16 = new byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(bf16, (ushort)(BitConverter.SingleToInt32Bits(6.5f) >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(bf16.AsSpan(2), (ushort)(BitConverter.SingleToInt32Bits(-0.125f) >> 16));
        data.AddRange(bf16);
        var f64 = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(f64, 1.0 / 3);
        BinaryPrimitives.WriteDoubleLittleEndian(f64.AsSpan(8), 1e10);
        data.AddRange(f64);
        string header = """
            {"__metadata__":{"format":"pt","cell":"lstm"},
             "a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
             "b":{"dtype":"F16","shape":[2,1],"data_offsets":[8,12]},
             "c":{"dtype":"BF16","shape":[1,2],"data_offsets":[12,16]},
             "d":{"dtype":"F64","shape":[2],"data_offsets":[16,32]}}
            """;
        var file = SafetensorsFile.Read(_files.Write(header, data.ToArray()));
        Assert.Equal("lstm", file.Metadata["cell"]);
        Assert.Equal([1.5f, -2f], file.ByName["a"].Values);
        Assert.Equal([0.25f, -3f], file.ByName["b"].Values);
        Assert.Equal([2, 1], file.ByName["b"].Shape);
        Assert.Equal([6.5f, -0.125f], file.ByName["c"].Values);
        Assert.Equal([(float)(1.0 / 3), 1e10f], file.ByName["d"].Values);
    }

    [Fact]
    public void Write_then_Read_round_trips_and_pads_the_header_to_8_bytes()
    {
        string path = _files.PathFor("written.safetensors");
        SafetensorsFile.Write(path, [("x.weight", [2, 3], [1, 2, 3, 4, 5, 6]), ("x.bias", [2], [7, 8])], new Dictionary<string, string> { ["k"] = "v" });
        var bytes = File.ReadAllBytes(path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        var file = SafetensorsFile.Read(path);
        Assert.Equal("v", file.Metadata["k"]);
        Assert.Equal([1f, 2, 3, 4, 5, 6], file.ByName["x.weight"].Values);
        Assert.Equal([7f, 8], file.ByName["x.bias"].Values);
    }

    public static TheoryData<string, string, string> CorruptHeaders => new()
    {
        { "offsets past the data", """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", "outside the 8 bytes of data" },
        { "offsets disagree with shape", """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "needs 12 bytes" },
        { "overlapping tensors", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "overlap" },
        { "bad json", """{"a":{"dtype":"F32","shape":[2],""", "not valid UTF-8 JSON" },
        { "not an object", """[1,2,3]""", "not a JSON object" },
        { "unknown dtype", """{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", "unsupported dtype \"I64\"" },
        { "negative dimension", """{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", "not a non-negative integer" },
        { "reversed offsets", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "0 <= begin <= end" },
        { "missing offsets", """{"a":{"dtype":"F32","shape":[2]}}""", "missing \"data_offsets\"" },
        { "metadata not strings", """{"__metadata__":{"n":3},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "must be a string" },
        { "huge shape", """{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}}""", "more than 2^31" },
        { "duplicate name", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "twice" },
    };

    [Theory]
    [MemberData(nameof(CorruptHeaders))]
    public void Read_rejects_a_corrupt_header_naming_the_file_and_the_problem(string why, string header, string expected)
    {
        string path = _files.Write(header, SafetensorsBytes.Floats(1, 2));
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Read(path));
        Assert.Contains(path, error.Message);
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{why}: {error.Message}");
    }

    [Fact]
    public void Read_rejects_a_file_shorter_than_the_length_prefix()
    {
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Read(_files.Write([1, 0, 0])));
        Assert.Contains("too short", error.Message);
    }

    [Fact]
    public void Read_rejects_a_header_length_past_the_end_without_allocating_it()
    {
        string path = _files.Write("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", SafetensorsBytes.Floats(1, 2), declaredLength: ulong.MaxValue - 7);
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Read(path));
        Assert.Contains("runs past the end of the file", error.Message);
    }

    [Fact]
    public void Read_rejects_a_truncated_file()
    {
        string path = _files.PathFor("full.safetensors");
        SafetensorsFile.Write(path, [("w", [16], new float[16])]);
        var bytes = File.ReadAllBytes(path);
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Read(_files.Write(bytes[..^10])));
        Assert.Contains("outside the", error.Message);
    }

    [Fact]
    public void Read_of_a_missing_file_says_so()
    {
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Read(_files.PathFor("nope.safetensors")));
        Assert.Contains("no such file", error.Message);
    }

    [Fact]
    public void Read_of_random_bytes_never_crashes_or_hangs()
    {
        var random = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            if (bytes.Length >= 8 && i % 2 == 0)
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)random.Next(0, bytes.Length));
            string path = _files.Write(bytes);
            try
            {
                SafetensorsFile.Read(path);
            }
            catch (ModelFormatException e)
            {
                Assert.Contains(path, e.Message);
            }
        }
    }
}
