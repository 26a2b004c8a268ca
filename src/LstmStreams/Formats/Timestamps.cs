using System.Globalization;

namespace LstmStreams.Formats;

/// <summary>Time texts in input records (ISO-8601 / RFC 3339, e.g. <c>2026-12-02T09:00:00Z</c>) as t.</summary>
internal static class Timestamps
{
    private const DateTimeStyles Styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowWhiteSpaces;

    /// <summary>Parses <paramref name="text"/> (a time without an offset is taken as UTC) into t in
    /// <see cref="InputFields.TimeUnit"/> since the Unix epoch.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, InputFields fields, out long t)
    {
        // A date needs its year, month and day: refuse numbers and times of day ("12", "09:00") that
        // DateTimeOffset.TryParse would complete with today's date.
        if (text.Trim().Length < 10 || !char.IsAsciiDigit(text.Trim()[0]) || text.Trim()[4] != '-'
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, Styles, out var time))
        {
            t = 0;
            return false;
        }

        t = fields.ToT(time);
        return true;
    }
}
