using System.Runtime.CompilerServices;
using LstmStreams.Pipeline;

namespace LstmStreams.Formats;

/// <summary>
/// The fast path of <see cref="JsonlObservations"/>: one pass over the bytes of a line in the common form
/// (an object of ASCII keys and values without escapes: strings, numbers, true/false/null, arrays of numbers).
/// It accepts only what the general path (<see cref="System.Text.Json.Utf8JsonReader"/>) would parse into the
/// same observation, bit for bit; anything else, every error included, returns false and goes the general way.
/// </summary>
public sealed partial class JsonlObservations
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool TryReadFast(ReadOnlySpan<byte> s, long position, string? sequenceId, out ParsedLine parsed)
    {
        int i = 0;
        if (TryReadFastObject(s, ref i, position, sequenceId, out parsed) && SkipSpace(s, i) == s.Length) return true;
        parsed = default;
        return false;
    }

    /// <summary>The fast path for the object that starts at <paramref name="i"/> (after white space); on success
    /// <paramref name="i"/> is just past its closing brace, and what follows is the caller's (a line's end, an
    /// array's comma).</summary>
    internal bool TryReadFastObject(ReadOnlySpan<byte> s, ref int i, long position, string? sequenceId, out ParsedLine parsed)
    {
        parsed = default;
        string? seq = sequenceId;
        long? t = null;
        bool reset = false, end = false;
        int xCount = -1, named = 0;
        i = SkipSpace(s, i);
        float[]? values = null;
        if (_seen.Length > 0) Array.Clear(_seen);
        if (i >= s.Length || s[i] != '{') return false;
        i = SkipSpace(s, i + 1);
        if (i < s.Length && s[i] == '}') i++;
        else
        {
            while (true)
            {
                if (!TryString(s, ref i, out var key)) return false;
                i = SkipSpace(s, i);
                if (i >= s.Length || s[i] != ':') return false;
                i = SkipSpace(s, i + 1);
                if (i >= s.Length) return false;
                if (key.SequenceEqual(_sequenceField))
                {
                    ReadOnlySpan<byte> id;
                    if (s[i] == '"') { if (!TryString(s, ref i, out id)) return false; }
                    else if (!TryNumber(s, ref i, out id) || !Float32Text.TryParseJsonNumber(id, out _)) return false;
                    string? text = _ids.Get(id);
                    if (text is null) return false;
                    if (sequenceId is null) seq = text;
                }
                else if (key.SequenceEqual(_timeField))
                {
                    if (s[i] == 'n') { if (!TryLiteral(s, ref i, "null"u8)) return false; t = null; }
                    else if (s[i] == '"')
                    {
                        if (!TryString(s, ref i, out var text) || !Timestamps.TryParse(text, _fields, out long time)) return false;
                        t = time;
                    }
                    else
                    {
                        if (!TryNumber(s, ref i, out var number) || !Float32Text.TryParseJsonNumber(number, out _)
                            || !System.Buffers.Text.Utf8Parser.TryParse(number, out long value, out int consumed) || consumed != number.Length) return false;
                        t = value;
                    }
                }
                else if (key.SequenceEqual("reset"u8)) { if (!TryFlag(s, ref i, out reset)) return false; }
                else if (key.SequenceEqual("end"u8)) { if (!TryFlag(s, ref i, out end)) return false; }
                else if (_features is not null && _features.IndexOf(key) is var index and >= 0)
                {
                    if (!TryNumberValue(s, ref i, out float value) || !float.IsFinite(value)) return false;
                    values ??= new float[_features.Count];
                    values[index] = value;
                    if (!_seen[index]) (_seen[index], named) = (true, named + 1);
                }
                else if (_allowXArray && key.SequenceEqual("x"u8))
                {
                    if (!TryNumbers(s, ref i, out xCount)) return false;
                }
                else if (!TrySkipValue(s, ref i)) return false;

                i = SkipSpace(s, i);
                if (i >= s.Length) return false;
                if (s[i] == '}') { i++; break; }
                if (s[i] != ',') return false;
                i = SkipSpace(s, i + 1);
            }
        }

        if (string.IsNullOrEmpty(seq)) return false;
        if (xCount >= 0) parsed = ParsedLine.Ok(new Observation(seq, _x.AsSpan(0, xCount).ToArray(), t, reset, end, position));
        else if (_features is not null && named == _features.Count) parsed = ParsedLine.Ok(new Observation(seq, values!, t, reset, end, position));
        else return false;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SkipSpace(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && s[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') i++;
        return i;
    }

    /// <summary>A string of printable ASCII without escapes (anything else: the general path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryString(ReadOnlySpan<byte> s, scoped ref int i, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (i >= s.Length || s[i] != '"') return false;
        int start = ++i;
        for (; i < s.Length; i++)
        {
            byte b = s[i];
            if (b == '"')
            {
                text = s[start..i++];
                return true;
            }

            if (b < 0x20 || b >= 0x80 || b == '\\') return false;
        }

        return false;
    }

    /// <summary>The bytes of a number token (checked against JSON's grammar by the caller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryNumber(ReadOnlySpan<byte> s, scoped ref int i, out ReadOnlySpan<byte> number)
    {
        int start = i;
        while (i < s.Length && (s[i] is (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E')) i++;
        number = s[start..i];
        return i > start;
    }

    /// <summary>A number token's value, read in one pass: what <see cref="TryNumber"/> then
    /// <see cref="Float32Text.TryParseJsonNumber"/> accept, no more (a token that goes on past the number is refused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryNumberValue(ReadOnlySpan<byte> s, scoped ref int i, out float value)
    {
        if (i >= s.Length || !Float32Text.TryParseJsonNumberPrefix(s[i..], out value, out int length))
        {
            value = 0;
            return false;
        }

        i += length;
        return i >= s.Length || s[i] is not ((>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E');
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryNumbers(ReadOnlySpan<byte> s, ref int i, out int count)
    {
        count = 0;
        if (s[i] != '[') return false;
        i = SkipSpace(s, i + 1);
        if (i < s.Length && s[i] == ']')
        {
            i++;
            return true;
        }

        while (true)
        {
            if (!TryNumberValue(s, ref i, out float value) || !float.IsFinite(value)) return false;
            if (count == _x.Length) Array.Resize(ref _x, _x.Length * 2);
            _x[count++] = value;
            i = SkipSpace(s, i);
            if (i >= s.Length) return false;
            if (s[i] == ']')
            {
                i++;
                return true;
            }

            if (s[i] != ',') return false;
            i = SkipSpace(s, i + 1);
        }
    }

    private static bool TryFlag(ReadOnlySpan<byte> s, ref int i, out bool flag)
    {
        flag = s[i] == 't';
        return TryLiteral(s, ref i, flag ? "true"u8 : s[i] == 'f' ? "false"u8 : "null"u8);
    }

    private static bool TryLiteral(ReadOnlySpan<byte> s, ref int i, ReadOnlySpan<byte> literal)
    {
        if (!s[i..].StartsWith(literal)) return false;
        i += literal.Length;
        return true;
    }

    /// <summary>Skips a value of a field nobody asked for: a scalar or an array of scalars.</summary>
    private static bool TrySkipValue(ReadOnlySpan<byte> s, ref int i)
    {
        switch (s[i])
        {
            case (byte)'"':
                return TryString(s, ref i, out _);
            case (byte)'t':
                return TryLiteral(s, ref i, "true"u8);
            case (byte)'f':
                return TryLiteral(s, ref i, "false"u8);
            case (byte)'n':
                return TryLiteral(s, ref i, "null"u8);
            case (byte)'[':
                i = SkipSpace(s, i + 1);
                if (i < s.Length && s[i] == ']') { i++; return true; }
                while (true)
                {
                    if (i >= s.Length || s[i] is (byte)'[' or (byte)'{' || !TrySkipValue(s, ref i)) return false;
                    i = SkipSpace(s, i);
                    if (i >= s.Length) return false;
                    if (s[i] == ']') { i++; return true; }
                    if (s[i] != ',') return false;
                    i = SkipSpace(s, i + 1);
                }
            default:
                return TryNumber(s, ref i, out var number) && Float32Text.TryParseJsonNumber(number, out _);
        }
    }
}
