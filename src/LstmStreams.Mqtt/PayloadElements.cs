using System.Diagnostics;
using System.Text.Json;

namespace LstmStreams.Mqtt;

/// <summary>
/// What kind of payload a message carries, and for one that is not an array where its observation objects are. A
/// payload is one JSON object (one observation), a JSON array of objects (read in one pass by
/// <see cref="LstmStreams.Formats.JsonlObservations.ReadArray"/>), or JSONL (one object per line, blank lines
/// skipped). Lines are delimited by <c>'\n'</c> and not parsed here (each goes to the observation parser, so one bad
/// line is one error record). A multi-line payload that is one JSON value (a pretty-printed object) is one element.
/// </summary>
internal static class PayloadElements
{
    /// <summary>Whether the payload is a JSON array (its first byte after white space is <c>[</c>).</summary>
    public static bool IsArray(ReadOnlySpan<byte> payload)
    {
        int first = FirstNonWhitespace(payload);
        return first < payload.Length && payload[first] == (byte)'[';
    }

    /// <summary>Fills <paramref name="elements"/> (cleared first) with the byte ranges of the objects of a payload
    /// that is not an array: the whole payload, or its lines.</summary>
    /// <param name="payload">The message payload (UTF-8), not an array (<see cref="IsArray"/>).</param>
    /// <param name="elements">Receives one range per element, in payload order.</param>
    public static void Find(ReadOnlySpan<byte> payload, List<Range> elements)
    {
        Debug.Assert(!IsArray(payload), "arrays are read by JsonlObservations.ReadArray");
        elements.Clear();
        int first = FirstNonWhitespace(payload);
        int newline = first < payload.Length ? payload[first..].IndexOf((byte)'\n') : -1;
        if (newline < 0 || !HasContent(payload[(first + newline + 1)..]) || IsOneValue(payload))
        {
            elements.Add(Range.All);
            return;
        }

        int start = 0;
        while (start <= payload.Length)
        {
            int length = payload[start..].IndexOf((byte)'\n');
            int end = length < 0 ? payload.Length : start + length;
            if (HasContent(payload[start..end])) elements.Add(start..end);
            start = end + 1;
        }
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
