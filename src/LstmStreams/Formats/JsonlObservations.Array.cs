using System.Text.Json;

namespace LstmStreams.Formats;

/// <summary>
/// A JSON array of observation objects (<c>[{"seq": "a", "x": [1]}, {"seq": "b", "x": [2]}]</c>, an MQTT message
/// carrying a batch), read in one pass: each element in the common form is parsed by the fast path where it
/// stands, and the array's commas and brackets are checked between them. From the first element the fast path
/// does not take (escapes, nesting, an error) or a separator it does not expect, the general path reads the rest:
/// <see cref="Utf8JsonReader"/> delimits the elements and each is parsed alone, so a bad element is one error
/// record and the others go on. Both paths give the same records.
/// </summary>
public sealed partial class JsonlObservations
{
    /// <summary>Reads every element of a JSON array of observation objects; never throws for bad input.</summary>
    /// <param name="utf8">The array (UTF-8; white space around it allowed).</param>
    /// <param name="firstPosition">The position of the first element; the others follow consecutively.</param>
    /// <param name="sequenceId">The sequence id of every element instead of its own id field; null to require
    /// the field.</param>
    /// <param name="elements">Cleared, then receives one record per element, in array order.</param>
    /// <returns>Null, or why the array cannot be read after the elements received (not valid JSON from some
    /// element on, not closed, content after it, empty, not an array): one error record more for the caller.</returns>
    public string? ReadArray(ReadOnlySpan<byte> utf8, long firstPosition, string? sequenceId, List<ParsedLine> elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        elements.Clear();
        int i = SkipSpace(utf8, 0);
        if (i >= utf8.Length || utf8[i] != '[') return "not a JSON array.";
        i = SkipSpace(utf8, i + 1);
        if (i < utf8.Length && utf8[i] == ']') return ReadArrayGeneral(utf8, firstPosition, sequenceId, elements);
        while (TryReadFastObject(utf8, ref i, firstPosition + elements.Count, sequenceId, out var parsed))
        {
            elements.Add(parsed);
            i = SkipSpace(utf8, i);
            if (i >= utf8.Length) break;
            if (utf8[i] == ']') return SkipSpace(utf8, i + 1) == utf8.Length ? null : ReadArrayGeneral(utf8, firstPosition, sequenceId, elements);
            if (utf8[i] != ',') break;
            i++;
        }

        return ReadArrayGeneral(utf8, firstPosition, sequenceId, elements);
    }

    /// <summary>The general path for the elements after those already in <paramref name="elements"/> (which the
    /// fast path read, and the reader skips).</summary>
    private string? ReadArrayGeneral(ReadOnlySpan<byte> utf8, long firstPosition, string? sequenceId, List<ParsedLine> elements)
    {
        int done = elements.Count, index = 0;
        var reader = new Utf8JsonReader(utf8);
        try
        {
            reader.Read(); // [
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                int start = (int)reader.TokenStartIndex;
                reader.Skip();
                if (index >= done) elements.Add(Read(utf8[start..(int)reader.BytesConsumed], firstPosition + index, sequenceId));
                index++;
            }

            if (reader.TokenType != JsonTokenType.EndArray) return $"the array is not closed after element {elements.Count}.";
            if (SkipSpace(utf8, (int)reader.BytesConsumed) != utf8.Length) return "content after the array: send one array (or one object, or JSONL lines) per message.";
        }
        catch (JsonException e)
        {
            return $"the array is not valid JSON from element {elements.Count} on, which is not read ({e.Message}).";
        }

        return elements.Count == 0 ? "an empty array carries no observation." : null;
    }
}
