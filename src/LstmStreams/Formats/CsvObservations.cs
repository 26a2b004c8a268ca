using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using LstmStreams.Pipeline;

namespace LstmStreams.Formats;

/// <summary>
/// Parses CSV observations from UTF-8 bytes. The header names the columns: the sequence id (<c>seq</c>, or
/// <see cref="InputFields.SequenceField"/>), optional <c>t</c> (an integer or an ISO-8601 time), <c>reset</c>,
/// <c>end</c>; the features are the columns named by <see cref="InputFields.Features"/> (any order, other columns
/// ignored), or else every other column in header order (e.g. <c>seq,t,x0,x1,x2</c>). Column names are
/// matched ignoring case. Fields may be double-quoted (RFC 4180). Not thread-safe: one per source.
/// </summary>
public sealed class CsvObservations
{
    private readonly int _seq, _t, _reset, _end;
    private readonly int[] _features;
    private readonly string[] _columnNames;
    private readonly InputFields _fields;
    private readonly SequenceIds _ids = new();

    private CsvObservations(InputFields fields, string[] columnNames, int seq, int t, int reset, int end, int[] features, string? notice)
    {
        (_fields, _columnNames, _seq, _t, _reset, _end, _features) = (fields, columnNames, seq, t, reset, end, features);
        FeatureNames = features.Select(i => columnNames[i]).ToArray();
        Notice = notice;
    }

    /// <summary>The feature columns' names, in the model's input order: x_t has one value per name.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Something the user should know about how the header was read (null when nothing).</summary>
    public string? Notice { get; }

    /// <summary>Reads the header line.</summary>
    /// <param name="header">The first line.</param>
    /// <param name="fields">Which columns are what; null for the defaults.</param>
    /// <exception cref="FormatException">No id column, no feature column, or a named feature column missing.</exception>
    public static CsvObservations FromHeader(string header, InputFields? fields = null)
    {
        fields ??= InputFields.Default;
        var bytes = Encoding.UTF8.GetBytes(header.TrimStart('\uFEFF'));
        var names = new List<string>();
        foreach (var (start, length, _) in SplitAll(bytes)) names.Add(Encoding.UTF8.GetString(bytes, start, length).Trim().Replace("\"\"", "\""));
        int Find(string name) => names.FindIndex(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        int seq = Find(fields.SequenceField);
        if (seq < 0) throw new FormatException($"the CSV header \"{header}\" has no \"{fields.SequenceField}\" column; expected e.g. {fields.SequenceField},{fields.TimeField},x0,x1,… (or name the id column with --seq-field)");
        int t = Find(fields.TimeField), reset = Find("reset"), end = Find("end");
        int[] Others() => Enumerable.Range(0, names.Count).Where(i => i != seq && i != t && i != reset && i != end).ToArray();
        int[] features;
        string? notice = null;
        if (fields.Features is { } wanted)
        {
            var found = wanted.Select(Find).ToArray();
            var missing = wanted.Where((_, i) => found[i] < 0).ToList();
            if (missing.Count == 0) features = found;
            else if (fields.FeaturesFromModel)
            {
                features = Others();
                notice = $"the CSV header does not name the model's features ({string.Join(", ", missing)} missing): taking the columns other than {fields.SequenceField}, {fields.TimeField}, reset and end in header order.";
            }
            else throw new FormatException($"the CSV header \"{header}\" has no column {string.Join(", ", missing.Select(m => $"\"{m}\""))} (named by --features / lstm-streams.input.features)");
        }
        else features = Others();

        if (features.Length == 0) throw new FormatException($"the CSV header \"{header}\" has no feature columns.");
        return new CsvObservations(fields, names.ToArray(), seq, t, reset, end, features, notice);
    }

    /// <summary>A parser of the same columns with an id table of its own, for another thread.</summary>
    public CsvObservations Copy() => new(_fields, _columnNames, _seq, _t, _reset, _end, _features, Notice);

    /// <summary>Parses one data line; never throws for bad input.</summary>
    public ParsedLine Parse(string line, long position) => Read(Encoding.UTF8.GetBytes(line), position);

    /// <summary>Parses one UTF-8 data line (without its line break); never throws for bad input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ParsedLine Read(ReadOnlySpan<byte> line, long position)
    {
        int columns = _columnNames.Length;
        Span<Field> fields = columns <= 64 ? stackalloc Field[columns] : new Field[columns];
        int count = Split(line, fields);
        string? seq = null;
        if (_seq < count)
        {
            seq = ReadId(line, fields[_seq]);
            if (seq is null) return ParsedLine.Bad(position, null, $"\"{_fields.SequenceField}\" is not valid UTF-8.");
        }

        if (count != columns)
            return ParsedLine.Bad(position, seq, $"{count} columns but the header has {columns}.");
        if (string.IsNullOrEmpty(seq))
            return ParsedLine.Bad(position, null, $"empty \"{_fields.SequenceField}\": every observation needs a non-empty sequence id.");
        var x = new float[_features.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var text = Text(line, fields[_features[i]]);
            if (!Float32Text.TryParse(text, out x[i]))
                return ParsedLine.Bad(position, seq, $"column \"{_columnNames[_features[i]]}\" (\"{Encoding.UTF8.GetString(text)}\") is not a number.");
            if (float.IsInfinity(x[i]) && !text.ContainsAny("iI"u8))
                return ParsedLine.Bad(position, seq, $"column \"{_columnNames[_features[i]]}\" = {Encoding.UTF8.GetString(text)} is beyond float32's range (±3.4e38): scale the input.");
        }

        long? t = null;
        if (_t >= 0 && Text(line, fields[_t]).Trim(" "u8) is { Length: > 0 } time)
        {
            if (System.Buffers.Text.Utf8Parser.TryParse(time, out long value, out int consumed) && consumed == time.Length) t = value;
            else
            {
                if (!Timestamps.TryParse(time, _fields, out value))
                    return ParsedLine.Bad(position, seq, $"{_fields.TimeField} (\"{Encoding.UTF8.GetString(time)}\") is not an integer or an ISO-8601 time such as 2026-12-02T09:00:00Z.");
                t = value;
            }
        }

        return ParsedLine.Ok(new Observation(seq, x, t, Flag(line, fields, _reset), Flag(line, fields, _end), position));
    }

    private string? ReadId(ReadOnlySpan<byte> line, Field field)
    {
        var text = Text(line, field);
        if (!field.Escaped) return text.IsEmpty ? "" : _ids.Get(text);
        var unescaped = new List<byte>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            unescaped.Add(text[i]);
            if (text[i] == (byte)'"') i++; // "" inside a quoted field is one quote
        }

        return _ids.Get(unescaped.ToArray());
    }

    private static ReadOnlySpan<byte> Text(ReadOnlySpan<byte> line, Field field) => line.Slice(field.Start, field.Length);

    private static bool Flag(ReadOnlySpan<byte> line, Span<Field> fields, int index) =>
        index >= 0 && Text(line, fields[index]).Trim(" "u8) is var text && (text.SequenceEqual("1"u8) || text.SequenceEqual("true"u8) || text.SequenceEqual("True"u8) || text.SequenceEqual("TRUE"u8));

    /// <summary>A field of a line: its text's range (inside the quotes when quoted) and whether it holds "" escapes.</summary>
    private readonly record struct Field(int Start, int Length, bool Escaped);

    /// <summary>Splits <paramref name="line"/> at commas outside quotes; stores the first fields.Length fields and
    /// returns how many the line has.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Split(ReadOnlySpan<byte> line, Span<Field> fields)
    {
        int count = 0, i = 0;
        while (true)
        {
            int start = i, length;
            bool escaped = false;
            if (i < line.Length && line[i] == (byte)'"')
            {
                start = ++i;
                while (i < line.Length)
                {
                    if (line[i] == (byte)'"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == (byte)'"') { escaped = true; i += 2; continue; }
                        break;
                    }

                    i++;
                }

                length = i - start;
                while (i < line.Length && line[i] != (byte)',') i++; // the closing quote and anything up to the comma
            }
            else
            {
                int comma = line[i..].IndexOf((byte)',');
                i = comma < 0 ? line.Length : i + comma;
                length = i - start;
            }

            if (count < fields.Length) fields[count] = new Field(start, length, escaped);
            count++;
            if (i >= line.Length) return count;
            i++; // past the comma
        }
    }

    private static IEnumerable<Field> SplitAll(byte[] line)
    {
        var fields = new Field[line.Length + 1];
        int count = Split(line, fields);
        return fields.Take(count);
    }
}
