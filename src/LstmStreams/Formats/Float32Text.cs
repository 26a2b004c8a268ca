using System.Buffers.Text;
using System.Runtime.CompilerServices;

namespace LstmStreams.Formats;

/// <summary>
/// Numbers as text (a JSON number, a CSV field) to float32, correctly rounded, fast for the common case. A
/// decimal of at most 24 bits of significand and a power of ten within ±10 is converted with one float32
/// multiplication or division of two exactly representable values, which IEEE 754 rounds correctly (Clinger's
/// fast path). Up to 53 bits and ±22, the quotient or product is rounded to a double (correctly, by the same
/// argument) and then to float32: rounding twice gives the correctly rounded float32 unless the double lands
/// exactly on a midpoint between two float32s (no float32 midpoint can lie strictly between the exact value and
/// its nearest double, since every midpoint is a double), so that case, and results outside float32's normal
/// range, go through <see cref="Utf8Parser"/>, as does any other number. Either way the bits are the same.
/// </summary>
internal static class Float32Text
{
    private static readonly float[] PowersOfTen = [1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f];
    private static readonly double[] DoublePowersOfTen = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    /// <summary>
    /// Parses <paramref name="text"/> if it is a JSON number (<c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>,
    /// nothing around it); false for anything else. A number beyond float32's range gives ±Infinity.
    /// </summary>
    public static bool TryParseJsonNumber(ReadOnlySpan<byte> text, out float value) => TryParseJsonNumberPrefix(text, out value, out int length) && length == text.Length;

    /// <summary>
    /// Parses the JSON number at the start of <paramref name="text"/>, as <see cref="TryParseJsonNumber"/> would parse
    /// its first <paramref name="length"/> bytes; false when no JSON number starts there or the number is cut short
    /// (<c>1.</c>, <c>1e</c>, <c>-</c>). One pass over a line's numbers: the caller need not find their end first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseJsonNumberPrefix(ReadOnlySpan<byte> text, out float value, out int length)
    {
        value = 0;
        length = 0;
        int i = 0, n = text.Length;
        bool negative = i < n && text[i] == '-';
        if (negative) i++;
        if (i >= n) return false;
        ulong mantissa = 0;
        int scale = 0, significant = 0;
        if (text[i] == '0') i++;
        else if (IsDigit(text[i]))
        {
            for (; i < n && IsDigit(text[i]); i++) Accumulate(text[i], ref mantissa, ref significant, ref scale, fraction: false);
        }
        else return false;

        if (i < n && text[i] == '.')
        {
            int start = ++i;
            for (; i < n && IsDigit(text[i]); i++) Accumulate(text[i], ref mantissa, ref significant, ref scale, fraction: true);
            if (i == start) return false;
        }

        int exponent = 0;
        if (i < n && (text[i] | 0x20) == 'e')
        {
            i++;
            bool negativeExponent = i < n && text[i] == '-';
            if (i < n && text[i] is (byte)'-' or (byte)'+') i++;
            int start = i;
            for (; i < n && IsDigit(text[i]); i++) exponent = Math.Min(exponent * 10 + (text[i] - '0'), 100_000);
            if (i == start) return false;
            if (negativeExponent) exponent = -exponent;
        }

        length = n = i;
        text = text[..n];
        int power = scale + exponent;
        if (mantissa == 0 && significant == 0)
        {
            value = negative ? -0f : 0f;
            return true;
        }

        if (significant <= 19 && mantissa <= 1 << 24 && power is >= -10 and <= 10)
        {
            float exact = mantissa;
            value = power < 0 ? exact / PowersOfTen[-power] : exact * PowersOfTen[power];
            if (negative) value = -value;
            return true;
        }

        if (significant <= 19 && mantissa <= 1UL << 53 && power is >= -22 and <= 22)
        {
            double exact = mantissa;
            double rounded = power < 0 ? exact / DoublePowersOfTen[-power] : exact * DoublePowersOfTen[power];
            ulong bits = (ulong)BitConverter.DoubleToInt64Bits(rounded);
            // The 29 bits a float32 drops: exactly 1000…0 is a midpoint, where the second rounding may be wrong.
            if ((bits & ((1UL << 29) - 1)) != 1UL << 28 && rounded >= 1.1754943508222875e-38 /* 2^-126, float32's least normal */ && rounded <= float.MaxValue)
            {
                value = negative ? -(float)rounded : (float)rounded;
                return true;
            }
        }

        return Utf8Parser.TryParse(text, out value, out int consumed) && consumed == n;
    }

    /// <summary>Parses a number in any form float32 text takes (a CSV field): a JSON number on the fast path, else
    /// <see cref="float.TryParse(ReadOnlySpan{byte}, System.Globalization.NumberStyles, IFormatProvider?, out float)"/>
    /// (spaces, a leading +, NaN, Infinity).</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out float value) =>
        TryParseJsonNumber(text, out value)
        || float.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value);

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    // Leading zeros are not significant; digits past the 19th would overflow the mantissa: count them only (the
    // number then takes the exact path through Utf8Parser).
    private static void Accumulate(byte digit, ref ulong mantissa, ref int significant, ref int scale, bool fraction)
    {
        if (mantissa == 0 && digit == '0')
        {
            if (fraction) scale--;
            return;
        }

        significant++;
        if (significant <= 19)
        {
            mantissa = mantissa * 10 + (ulong)(digit - '0');
            if (fraction) scale--;
        }
        else if (!fraction) scale++;
    }
}
