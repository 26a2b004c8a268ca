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

    /// <summary>The worst |Δ| between two prediction files, after checking that they hold the same sequences with the
    /// same t in the same order (xUnit asserts: a test project that compiles this file references xUnit).</summary>
    public static double MaxDifference(string expectedPath, string actualPath)
    {
        var want = Read(expectedPath);
        var got = Read(actualPath);
        Xunit.Assert.Equal(want.Count, got.Count);
        double worst = 0;
        foreach (var (seq, rows) in want)
        {
            Xunit.Assert.Equal(rows.Count, got[seq].Count);
            for (int i = 0; i < rows.Count; i++)
            {
                Xunit.Assert.Equal(rows[i].T, got[seq][i].T);
                Xunit.Assert.Equal(rows[i].Y.Length, got[seq][i].Y.Length);
                for (int j = 0; j < rows[i].Y.Length; j++)
                    worst = Math.Max(worst, Math.Abs(rows[i].Y[j] - got[seq][i].Y[j]));
            }
        }

        return worst;
    }
}
