using System.Text.Json;

namespace LstmStreams.Tests.Shared;

/// <summary>Reads JSONL prediction files (ours, or PyTorch's fixture outputs): per sequence, (t, y) in file order.
/// Compiled into each test project that compares predictions with a file.</summary>
internal static class PredictionFiles
{
    public static Dictionary<string, List<(long T, float[] Y)>> Read(string path)
    {
        var result = new Dictionary<string, List<(long, float[])>>();
        foreach (string line in File.ReadLines(path))
        {
            var root = JsonDocument.Parse(line).RootElement;
            string seq = root.GetProperty("seq").GetString()!;
            if (!result.TryGetValue(seq, out var list)) result[seq] = list = new();
            list.Add((root.GetProperty("t").GetInt64(), root.GetProperty("y").EnumerateArray().Select(v => v.GetSingle()).ToArray()));
        }

        return result;
    }
}
