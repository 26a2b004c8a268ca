using System.Globalization;
using System.Text;
using LstmStreams.Pipeline;

namespace LstmStreams.Sources;

/// <summary>
/// Parses CSV observations. The header names the columns: <c>seq</c> (required), optional <c>t</c>,
/// <c>reset</c>, <c>end</c>; every other column is a feature, in header order (e.g. <c>seq,t,x0,x1,x2</c>).
/// Fields may be double-quoted (RFC 4180).
/// </summary>
public sealed class CsvObservations
{
    private readonly int _seq, _t, _reset, _end;
    private readonly int[] _features;
    private readonly int _columns;

    private CsvObservations(int seq, int t, int reset, int end, int[] features, int columns, IReadOnlyList<string> featureNames)
    {
        (_seq, _t, _reset, _end, _features, _columns) = (seq, t, reset, end, features, columns);
        FeatureNames = featureNames;
    }

    /// <summary>The feature columns' names, in header order: x_t has one value per name.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Reads the header line.</summary>
    /// <exception cref="FormatException">No <c>seq</c> column or no feature column.</exception>
    public static CsvObservations FromHeader(string header)
    {
        var names = Split(header.TrimStart('\uFEFF')).Select(n => n.Trim().ToLowerInvariant()).ToList();
        int Find(string name) => names.IndexOf(name);
        int seq = Find("seq");
        if (seq < 0) throw new FormatException($"the CSV header \"{header}\" has no \"seq\" column; expected e.g. seq,t,x0,x1,…");
        int t = Find("t"), reset = Find("reset"), end = Find("end");
        var features = Enumerable.Range(0, names.Count).Where(i => i != seq && i != t && i != reset && i != end).ToArray();
        if (features.Length == 0) throw new FormatException($"the CSV header \"{header}\" has no feature columns.");
        return new CsvObservations(seq, t, reset, end, features, names.Count, features.Select(i => names[i]).ToList());
    }

    /// <summary>Parses one data line; never throws for bad input.</summary>
    public ParsedLine Parse(string line, long position)
    {
        var fields = Split(line);
        string? seq = _seq < fields.Count ? fields[_seq] : null;
        if (fields.Count != _columns)
            return ParsedLine.Bad(position, seq, $"{fields.Count} columns but the header has {_columns}.");
        if (string.IsNullOrEmpty(seq))
            return ParsedLine.Bad(position, null, "empty \"seq\": every observation needs a non-empty sequence id.");
        var x = new float[_features.Length];
        for (int i = 0; i < x.Length; i++)
        {
            if (!float.TryParse(fields[_features[i]], NumberStyles.Float, CultureInfo.InvariantCulture, out x[i]))
                return ParsedLine.Bad(position, seq, $"feature column {i} (\"{fields[_features[i]]}\") is not a number.");
        }

        long? t = null;
        if (_t >= 0 && fields[_t].Length > 0)
        {
            if (!long.TryParse(fields[_t], NumberStyles.Integer, CultureInfo.InvariantCulture, out long value))
                return ParsedLine.Bad(position, seq, $"t (\"{fields[_t]}\") is not an integer.");
            t = value;
        }

        return ParsedLine.Ok(new Observation(seq, x, t, Flag(fields, _reset), Flag(fields, _end), position));
    }

    private static bool Flag(List<string> fields, int index) =>
        index >= 0 && fields[index].Trim() is "1" or "true" or "True" or "TRUE";

    private static List<string> Split(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (c != '\r') field.Append(c);
        }

        fields.Add(field.ToString());
        return fields;
    }
}
