using System.Text;
using System.Text.Json;
using LstmStreams.Formats;
using LstmStreams.Pipeline;

namespace LstmStreams.Tests.Formats;

/// <summary>Predictions written as JSONL or CSV read back to the same float32 values.</summary>
public sealed class PredictionWriterTests
{
    private static string Write(OutputFormat format, params Prediction[] predictions)
    {
        var stream = new MemoryStream();
        using (var writer = new PredictionWriter(stream, format, predictions[0].Y.Length, ownsStream: false))
        {
            writer.Write(predictions.Take(1).ToArray());
            writer.Write(predictions.Skip(1).ToArray());
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public void Jsonl_floats_read_back_to_the_same_bits()
    {
        var random = new Random(3);
        var predictions = Enumerable.Range(0, 2000).Select(i => new Prediction($"s{i % 7}", i * 1_000_000_007L - 5,
            [BitConverter.Int32BitsToSingle(random.Next()) is var f && float.IsFinite(f) ? f : 1.5f, (float)random.NextDouble(), -1e-38f, float.Epsilon])).ToArray();
        var lines = Write(OutputFormat.Jsonl, predictions).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(predictions.Length, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var root = JsonDocument.Parse(lines[i]).RootElement;
            Assert.Equal(predictions[i].SequenceId, root.GetProperty("seq").GetString());
            Assert.Equal(predictions[i].T, root.GetProperty("t").GetInt64());
            var y = root.GetProperty("y").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(predictions[i].Y.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Jsonl_escapes_ids_and_writes_non_finite_outputs_as_strings()
    {
        string text = Write(OutputFormat.Jsonl, new Prediction("a\"b\\c\n\u00e9", 1, [float.NaN, float.PositiveInfinity, float.NegativeInfinity]));
        var root = JsonDocument.Parse(text).RootElement;
        Assert.Equal("a\"b\\c\n\u00e9", root.GetProperty("seq").GetString());
        Assert.Equal(["NaN", "Infinity", "-Infinity"], root.GetProperty("y").EnumerateArray().Select(v => v.GetString()));
        Assert.Contains("\u00e9", text); // non-ASCII written as it is, not escaped
    }

    [Fact]
    public void Csv_has_a_header_and_quotes_ids_that_need_it()
    {
        string text = Write(OutputFormat.Csv, new Prediction("plain", 3, [0.25f, -1f]), new Prediction("a,\"b\"", -4, [1e-7f, 2f]));
        Assert.Equal("seq,t,y0,y1\nplain,3,0.25,-1\n\"a,\"\"b\"\"\",-4,1E-07,2\n", text);
    }
}
