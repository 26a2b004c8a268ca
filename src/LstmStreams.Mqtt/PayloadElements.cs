using System.Text.Json;

namespace LstmStreams.Mqtt;

/// <summary>
/// Where the observation objects of one MQTT payload are. A payload is one JSON object (one observation), a JSON
/// array of objects, or JSONL (one object per line, blank lines skipped). Array elements are delimited with
/// <see cref="Utf8JsonReader"/> (<c>TokenStartIndex</c>, <c>Skip</c>), lines by <c>'\n'</c>; the elements are not
/// parsed here (each goes to the observation parser, so one bad element is one error record). A multi-line
/// payload that is one JSON value (a pretty-printed object) is one element.
/// </summary>
internal static class PayloadElements
{
    /// <summary>Fills <paramref name="elements"/> (cleared first) with the byte ranges of the payload's elements.</summary>
    /// <param name="payload">The message payload (UTF-8).</param>
    /// <param name="elements">Receives one range per element, in payload order.</param>
    /// <returns>Null, or why the payload's remainder after the found elements cannot be read (an array that is not
    /// valid JSON from some element on, or an empty array): one error record more.</returns>
    public static string? Find(ReadOnlySpan<byte> payload, List<Range> elements)
    {
        elements.Clear();
        int first = FirstNonWhitespace(payload);
        if (first < payload.Length && payload[first] == (byte)'[') return FindInArray(payload, elements);
        int newline = first < payload.Length ? payload[first..].IndexOf((byte)'\n') : -1;
        if (newline < 0 || !HasContent(payload[(first + newline + 1)..]) || IsOneValue(payload))
        {
            elements.Add(Range.All);
            return null;
        }

        int start = 0;
        while (start <= payload.Length)
        {
            int length = payload[start..].IndexOf((byte)'\n');
            int end = length < 0 ? payload.Length : start + length;
            if (HasContent(payload[start..end])) elements.Add(start..end);
            start = end + 1;
        }

        return null;
    }

    private static string? FindInArray(ReadOnlySpan<byte> payload, List<Range> elements)
    {
        var reader = new Utf8JsonReader(payload);
        try
        {
            reader.Read(); // [
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                int start = (int)reader.TokenStartIndex;
                reader.Skip();
                elements.Add(start..(int)reader.BytesConsumed);
            }

            if (reader.TokenType != JsonTokenType.EndArray) return $"the array is not closed after element {elements.Count}.";
            if (HasContent(payload[(int)reader.BytesConsumed..])) return "content after the array: send one array (or one object, or JSONL lines) per message.";
        }
        catch (JsonException e)
        {
            return $"the array is not valid JSON from element {elements.Count} on, which is not read ({e.Message}).";
        }

        return elements.Count == 0 ? "an empty array carries no observation." : null;
    }

    /// <summary>Whether the payload is a single JSON value (then it is one element, even across lines).</summary>
    private static bool IsOneValue(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        try
        {
            if (!reader.Read()) return false;
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static int FirstNonWhitespace(ReadOnlySpan<byte> text)
    {
        int i = text.IndexOfAnyExcept(" \t\r\n"u8);
        return i < 0 ? text.Length : i;
    }

    private static bool HasContent(ReadOnlySpan<byte> text) => text.IndexOfAnyExcept(" \t\r\n"u8) >= 0;
}
