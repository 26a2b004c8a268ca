using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LstmStreams.Pipeline;

namespace LstmStreams.Sources;

/// <summary>
/// Parses observation lines: <c>{"seq": "sensor/17", "x": [0.1, 2.0], "t": 1700000000, "reset": false, "end": false}</c>
/// (<c>t</c>, <c>reset</c>, <c>end</c> optional; unknown fields ignored; a numeric seq is taken as its text).
/// </summary>
public static class JsonlObservations
{
    /// <summary>Parses one line; never throws for bad input.</summary>
    public static ParsedLine Parse(string line, long position)
    {
        if (string.IsNullOrWhiteSpace(line))
            return ParsedLine.Bad(position, null, "empty line: expected one JSON observation object per line.");
        byte[] rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(line.Length));
        try
        {
            int length = Encoding.UTF8.GetBytes(line, rented);
            return Parse(rented.AsSpan(0, length), position);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Parses one UTF-8 line; never throws for bad input.</summary>
    public static ParsedLine Parse(ReadOnlySpan<byte> utf8, long position) => Parse(utf8, position, sequenceId: null);

    /// <summary>
    /// Parses one UTF-8 observation object whose sequence id may come from outside it (an MQTT topic level);
    /// never throws for bad input.
    /// </summary>
    /// <param name="utf8">The JSON object.</param>
    /// <param name="position">Its source position, for the error record.</param>
    /// <param name="sequenceId">The sequence id to use instead of the object's <c>seq</c> (which may then be
    /// absent); null to require <c>seq</c>.</param>
    public static ParsedLine Parse(ReadOnlySpan<byte> utf8, long position, string? sequenceId)
    {
        string? seq = null;
        List<float>? x = null;
        long? t = null;
        bool reset = false, end = false;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return ParsedLine.Bad(position, null, "not a JSON object: expected {\"seq\": \"…\", \"x\": [ … ]}.");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    seq = reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString(),
                        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                        _ => throw new FormatException("\"seq\" must be a string"),
                    };
                }
                else if (reader.ValueTextEquals("x"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray) throw new FormatException("\"x\" must be an array of numbers");
                    x = new List<float>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType != JsonTokenType.Number) throw new FormatException($"\"x\"[{x.Count}] is not a number");
                        x.Add(ReadFloat(ref reader, x.Count));
                    }
                }
                else if (reader.ValueTextEquals("t"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null) continue;
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value))
                        throw new FormatException("\"t\" must be an integer (int64)");
                    t = value;
                }
                else if (reader.ValueTextEquals("reset"u8))
                {
                    reset = ReadBool(ref reader, "reset");
                }
                else if (reader.ValueTextEquals("end"u8))
                {
                    end = ReadBool(ref reader, "end");
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
            return ParsedLine.Bad(position, sequenceId ?? seq, $"not valid JSON ({e.Message}).");
        }
        catch (FormatException e)
        {
            return ParsedLine.Bad(position, sequenceId ?? seq, e.Message + ".");
        }

        if (sequenceId is not null) seq = sequenceId;
        if (string.IsNullOrEmpty(seq))
            return ParsedLine.Bad(position, null, "missing \"seq\": every observation needs a non-empty sequence id.");
        if (x is null)
            return ParsedLine.Bad(position, seq, "missing \"x\": the feature array.");
        return ParsedLine.Ok(new Observation(seq, x.ToArray(), t, reset, end, position));
    }

    private static float ReadFloat(ref Utf8JsonReader reader, int index)
    {
        if (!reader.TryGetDouble(out double value))
            throw new FormatException($"\"x\"[{index}] is not a number");
        float single = (float)value;
        if (float.IsInfinity(single))
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"\"x\"[{index}] = {value:G6} is beyond float32's range (±3.4e38): scale the input"));
        return single;
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
