using System.Globalization;
using System.Text;
using System.Text.Json;
using LstmStreams.Pipeline;

namespace LstmStreams.Formats;

/// <summary>
/// Parses JSON observation objects from UTF-8 bytes: <c>{"seq": "sensor/17", "x": [0.1, 2.0], "t": 1700000000,
/// "reset": false, "end": false}</c> (<c>t</c>, <c>reset</c>, <c>end</c> optional; unknown fields ignored; a
/// numeric seq is taken as its text), or a device's own record with named fields mapped by
/// <see cref="InputFields"/> (<c>{"device": "pump-7", "ts": "2026-12-02T09:00:00Z", "temp": 21.5, "rpm": 1200}</c>).
/// Numbers are parsed straight to float32 (correctly rounded); <c>t</c> is an integer or an ISO-8601 time
/// text. Ids are interned (<see cref="SequenceIds"/>): a line allocates its observation and its feature
/// array, nothing else. Never throws for bad input: a bad line becomes an error record naming the field.
/// An instance is not thread-safe (one per source); the static <c>Parse</c> methods use one per thread.
/// </summary>
public sealed partial class JsonlObservations
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 8 };
    [ThreadStatic] private static JsonlObservations? t_default;
    private readonly InputFields _fields;
    private readonly byte[] _sequenceField, _timeField;
    private readonly Utf8NameTable? _features;
    private readonly bool _allowXArray;
    private readonly SequenceIds _ids = new();
    private float[] _x = new float[64];
    private bool[] _seen;

    /// <summary>A parser for <paramref name="fields"/> (null: <c>seq</c>, <c>t</c>, the <c>x</c> array).</summary>
    public JsonlObservations(InputFields? fields = null)
    {
        _fields = fields ?? InputFields.Default;
        _fields.Validate();
        _sequenceField = Encoding.UTF8.GetBytes(_fields.SequenceField);
        _timeField = Encoding.UTF8.GetBytes(_fields.TimeField);
        _features = _fields.Features is { } names ? new Utf8NameTable(names) : null;
        _allowXArray = _features is null || _fields.FeaturesFromModel;
        _seen = new bool[_features?.Count ?? 0];
    }

    /// <summary>Parses one line with the default fields; never throws for bad input.</summary>
    public static ParsedLine Parse(string line, long position) => Parse(Encoding.UTF8.GetBytes(line), position);

    /// <summary>Parses one UTF-8 line with the default fields; never throws for bad input.</summary>
    public static ParsedLine Parse(ReadOnlySpan<byte> utf8, long position) => Parse(utf8, position, sequenceId: null);

    /// <summary>
    /// Parses one UTF-8 observation object with the default fields, whose sequence id may come from outside it
    /// (an MQTT topic level); never throws for bad input.
    /// </summary>
    /// <param name="utf8">The JSON object.</param>
    /// <param name="position">Its source position, for the error record.</param>
    /// <param name="sequenceId">The sequence id to use instead of the object's <c>seq</c> (which may then be
    /// absent); null to require <c>seq</c>.</param>
    public static ParsedLine Parse(ReadOnlySpan<byte> utf8, long position, string? sequenceId) =>
        (t_default ??= new JsonlObservations()).Read(utf8, position, sequenceId);

    /// <summary>Parses one UTF-8 observation object; never throws for bad input.</summary>
    /// <param name="utf8">The JSON object (one line, without its line break).</param>
    /// <param name="position">Its source position (line number), for the error record.</param>
    /// <param name="sequenceId">The sequence id to use instead of the object's id field (which may then be
    /// absent); null to require the id field.</param>
    public ParsedLine Read(ReadOnlySpan<byte> utf8, long position, string? sequenceId = null) =>
        TryReadFast(utf8, position, sequenceId, out var fast) ? fast : ReadGeneral(utf8, position, sequenceId);

    /// <summary>The general path: <see cref="Utf8JsonReader"/>, any valid JSON, every error named.</summary>
    internal ParsedLine ReadGeneral(ReadOnlySpan<byte> utf8, long position, string? sequenceId = null)
    {
        string? seq = sequenceId;
        long? t = null;
        bool reset = false, end = false;
        int xCount = -1, named = 0;
        float[]? values = null;
        if (_seen.Length > 0) Array.Clear(_seen);
        if (utf8.Trim(" \t\r\n"u8).IsEmpty)
            return ParsedLine.Bad(position, sequenceId, "empty line: expected one JSON observation object per line.");
        try
        {
            var reader = new Utf8JsonReader(utf8, ReaderOptions);
            if (!reader.Read())
                return ParsedLine.Bad(position, sequenceId, "empty line: expected one JSON observation object per line.");
            if (reader.TokenType != JsonTokenType.StartObject)
                return ParsedLine.Bad(position, sequenceId, $"not a JSON object: expected {{\"{_fields.SequenceField}\": \"…\", {ExpectedFeatures()}}}.");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(_sequenceField))
                {
                    reader.Read();
                    string? id = ReadId(ref reader);
                    if (sequenceId is null) seq = id;
                }
                else if (reader.ValueTextEquals(_timeField))
                {
                    reader.Read();
                    t = ReadTime(ref reader);
                }
                else if (reader.ValueTextEquals("reset"u8))
                {
                    reset = ReadBool(ref reader, "reset");
                }
                else if (reader.ValueTextEquals("end"u8))
                {
                    end = ReadBool(ref reader, "end");
                }
                else if (_features is not null && FeatureIndex(ref reader) is var index and >= 0)
                {
                    reader.Read();
                    values ??= new float[_features.Count];
                    values[index] = ReadNamed(ref reader, index);
                    if (!_seen[index]) (_seen[index], named) = (true, named + 1);
                }
                else if (_allowXArray && reader.ValueTextEquals("x"u8))
                {
                    reader.Read();
                    xCount = ReadArray(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject)
                throw new FormatException("unexpected token " + reader.TokenType);
            if (reader.Read())
                throw new FormatException("more than one JSON value on the line");
        }
        catch (JsonException e)
        {
            return ParsedLine.Bad(position, seq, $"not valid JSON ({e.Message}).");
        }
        catch (FormatException e)
        {
            return ParsedLine.Bad(position, seq, e.Message + ".");
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString on an escaped id that is not valid UTF-16 (a lone surrogate, "\ud800").
            return ParsedLine.Bad(position, seq, $"a text field cannot be read ({e.Message}).");
        }

        if (string.IsNullOrEmpty(seq))
            return ParsedLine.Bad(position, null, $"missing \"{_fields.SequenceField}\": every observation needs a non-empty sequence id.");
        if (xCount >= 0)
            return ParsedLine.Ok(new Observation(seq, _x.AsSpan(0, xCount).ToArray(), t, reset, end, position));
        if (_features is null)
            return ParsedLine.Bad(position, seq, "missing \"x\": the feature array.");
        if (named < _features.Count)
            return ParsedLine.Bad(position, seq, $"missing {MissingFeatures()}: every named feature must be present (features: {string.Join(", ", _fields.Features!)}).");
        return ParsedLine.Ok(new Observation(seq, values!, t, reset, end, position));
    }

    private string ExpectedFeatures() => _features is null ? "\"x\": [ … ]" : string.Join(", ", _fields.Features!.Select(f => $"\"{f}\": …"));

    private string MissingFeatures()
    {
        var missing = new List<string>();
        for (int i = 0; i < _seen.Length; i++)
        {
            if (!_seen[i]) missing.Add($"\"{_fields.Features![i]}\"");
        }

        return (missing.Count == 1 ? "field " : "fields ") + string.Join(", ", missing);
    }

    private int FeatureIndex(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return _features!.IndexOf(reader.ValueSpan);
        Span<byte> name = stackalloc byte[256];
        return reader.ValueSpan.Length <= name.Length && reader.CopyString(name) is var length ? _features!.IndexOf(name[..length]) : -1;
    }

    private string? ReadId(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String when reader.ValueIsEscaped:
                return reader.GetString();
            case JsonTokenType.String or JsonTokenType.Number:
                return _ids.Get(reader.ValueSpan) ?? throw new FormatException($"\"{_fields.SequenceField}\" is not valid UTF-8");
            default:
                throw new FormatException($"\"{_fields.SequenceField}\" must be a string");
        }
    }

    private long? ReadTime(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number when reader.TryGetInt64(out long value):
                return value;
            case JsonTokenType.String:
                Span<byte> unescaped = stackalloc byte[64];
                var text = !reader.ValueIsEscaped ? reader.ValueSpan : reader.ValueSpan.Length <= 64 ? unescaped[..reader.CopyString(unescaped)] : [];
                return Timestamps.TryParse(text, _fields, out long t) ? t
                    : throw new FormatException($"\"{_fields.TimeField}\" (\"{Encoding.UTF8.GetString(text.Length > 0 ? text : reader.ValueSpan[..Math.Min(64, reader.ValueSpan.Length)])}\") is not an ISO-8601 time such as 2026-12-02T09:00:00Z");
            default:
                throw new FormatException($"\"{_fields.TimeField}\" must be an integer (int64) or an ISO-8601 time text");
        }
    }

    private int ReadArray(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new FormatException("\"x\" must be an array of numbers");
        int count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number) throw new FormatException($"\"x\"[{count}] is not a number");
            if (count == _x.Length) Array.Resize(ref _x, _x.Length * 2);
            if (!TryReadFloat(ref reader, out _x[count])) throw OutOfRange(ref reader, $"\"x\"[{count}]");
            count++;
        }

        return count;
    }

    private float ReadNamed(ref Utf8JsonReader reader, int index) => reader.TokenType switch
    {
        JsonTokenType.Number => TryReadFloat(ref reader, out float value) ? value : throw OutOfRange(ref reader, $"\"{_fields.Features![index]}\""),
        JsonTokenType.String => throw new FormatException($"\"{_fields.Features![index]}\" is a string where a number belongs"),
        JsonTokenType.Null => throw new FormatException($"\"{_fields.Features![index]}\" is null where a number belongs"),
        _ => throw new FormatException($"\"{_fields.Features![index]}\" is not a number"),
    };

    // A JSON number float32 cannot hold rounds to infinity (JSON has no literal for it).
    private static bool TryReadFloat(ref Utf8JsonReader reader, out float value) =>
        (reader.ValueIsEscaped || reader.HasValueSequence ? reader.TryGetSingle(out value) : Float32Text.TryParseJsonNumber(reader.ValueSpan, out value)) && float.IsFinite(value);

    private static FormatException OutOfRange(ref Utf8JsonReader reader, string name)
    {
        double wide = double.Parse(Encoding.UTF8.GetString(reader.ValueSpan), CultureInfo.InvariantCulture);
        return new FormatException(string.Create(CultureInfo.InvariantCulture, $"{name} = {wide:G6} is beyond float32's range (±3.4e38): scale the input"));
    }

    private static bool ReadBool(ref Utf8JsonReader reader, string name)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False or JsonTokenType.Null => false,
            _ => throw new FormatException($"\"{name}\" must be true or false"),
        };
    }
}
