using System.Globalization;
using System.Text;

namespace LstmStreams.Formats;

/// <summary>Time texts in input records (ISO-8601 / RFC 3339, e.g. <c>2026-12-02T09:00:00Z</c>) as t.</summary>
internal static class Timestamps
{
    private const DateTimeStyles Styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowWhiteSpaces;

    /// <summary>
    /// Parses <paramref name="utf8"/> (a time without an offset is taken as UTC) into t in
    /// <see cref="InputFields.TimeUnit"/> since the Unix epoch. RFC 3339's form
    /// (<c>YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)</c>) is read digit by digit; other ISO-8601 forms go through
    /// <see cref="DateTimeOffset.TryParse(ReadOnlySpan{char}, IFormatProvider?, DateTimeStyles, out DateTimeOffset)"/>.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, InputFields fields, out long t)
    {
        if (TryParseRfc3339(utf8, out var time) || TryParseOther(utf8, out time))
        {
            t = fields.ToT(time);
            return true;
        }

        t = 0;
        return false;
    }

    private static bool TryParseOther(ReadOnlySpan<byte> utf8, out DateTimeOffset time)
    {
        time = default;
        Span<char> text = stackalloc char[64];
        if (utf8.Length > text.Length || !Encoding.UTF8.TryGetChars(utf8, text, out int length)) return false;
        var trimmed = text[..length].Trim();
        // A date needs its year, month and day: refuse numbers and times of day ("12", "09:00") that
        // DateTimeOffset.TryParse would complete with today's date.
        return trimmed.Length >= 10 && char.IsAsciiDigit(trimmed[0]) && trimmed[4] == '-'
            && DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, Styles, out time);
    }

    private static bool TryParseRfc3339(ReadOnlySpan<byte> s, out DateTimeOffset time)
    {
        time = default;
        if (s.Length < 19 || s[4] != '-' || s[7] != '-' || (s[10] | 0x20) != 't' && s[10] != ' ' || s[13] != ':' || s[16] != ':') return false;
        if (!Digits(s, 0, 4, out int year) || !Digits(s, 5, 2, out int month) || !Digits(s, 8, 2, out int day)
            || !Digits(s, 11, 2, out int hour) || !Digits(s, 14, 2, out int minute) || !Digits(s, 17, 2, out int second)) return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return false;
        int i = 19;
        long fraction = 0;
        if (i < s.Length && s[i] == '.')
        {
            int start = ++i;
            long scale = TimeSpan.TicksPerSecond;
            for (; i < s.Length && char.IsAsciiDigit((char)s[i]); i++)
            {
                if (scale > 1) fraction += (s[i] - '0') * (scale /= 10); // digits beyond 100 ns are dropped
            }

            if (i == start) return false;
        }

        var offset = TimeSpan.Zero;
        if (i < s.Length && (s[i] | 0x20) == 'z') i++;
        else if (i < s.Length && s[i] is (byte)'+' or (byte)'-')
        {
            if (s.Length - i != 6 || s[i + 3] != ':' || !Digits(s, i + 1, 2, out int offsetHours) || !Digits(s, i + 4, 2, out int offsetMinutes) || offsetHours > 23 || offsetMinutes > 59) return false;
            offset = new TimeSpan(offsetHours, offsetMinutes, 0) * (s[i] == '-' ? -1 : 1);
            i += 6;
        }

        if (i != s.Length) return false;
        long ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).Ticks + fraction;
        time = new DateTimeOffset(ticks, offset);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        for (int i = start; i < start + count; i++)
        {
            int digit = s[i] - '0';
            if ((uint)digit > 9) return false;
            value = value * 10 + digit;
        }

        return true;
    }
}
