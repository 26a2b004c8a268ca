using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using LstmStreams.Pipeline;

namespace LstmStreams.Formats;

/// <summary>
/// One prediction as text, written straight into a buffer (no string or object per prediction): the JSON object
/// <c>{"seq":"sensor/17","t":1700000000,"y":[0.93,0.01]}</c> (a JSONL line, an MQTT payload or array element) or the
/// CSV row <c>sensor/17,1700000000,0.93,0.01</c>. Floats are written in their shortest form that reads back as the
/// same float32; a non-finite output (a model that overflowed) as <c>"NaN"</c>, <c>"Infinity"</c> or
/// <c>"-Infinity"</c> (a JSON string; bare in CSV). One place for the format, used by every sink.
/// </summary>
public static class PredictionText
{
    private static readonly JavaScriptEncoder Escaper = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>Writes the prediction's JSON object.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WriteJson(IBufferWriter<byte> output, Prediction prediction)
    {
        var span = output.GetSpan(MaxBytes(prediction));
        int n = 0;
        Put(span, ref n, "{\"seq\":\""u8);
        PutJsonText(span, ref n, prediction.SequenceId);
        Put(span, ref n, "\",\"t\":"u8);
        PutNumber(span, ref n, prediction.T);
        Put(span, ref n, ",\"y\":["u8);
        var y = prediction.Y;
        for (int i = 0; i < y.Length; i++)
        {
            if (i > 0) span[n++] = (byte)',';
            if (float.IsFinite(y[i])) PutNumber(span, ref n, y[i]);
            else
            {
                span[n++] = (byte)'"';
                PutNumber(span, ref n, y[i]);
                span[n++] = (byte)'"';
            }
        }

        Put(span, ref n, "]}"u8);
        output.Advance(n);
    }

    /// <summary>Writes the prediction's CSV row (without its line break): <c>seq,t,y0,y1,…</c>, the id quoted when it
    /// holds a comma, a quote or a line break.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WriteCsv(IBufferWriter<byte> output, Prediction prediction)
    {
        var span = output.GetSpan(MaxBytes(prediction));
        int n = 0;
        string id = prediction.SequenceId;
        if (id.AsSpan().IndexOfAny(",\"\r\n") < 0) n += Encoding.UTF8.GetBytes(id, span);
        else Put(span, ref n, Encoding.UTF8.GetBytes("\"" + id.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
        span[n++] = (byte)',';
        PutNumber(span, ref n, prediction.T);
        foreach (float y in prediction.Y)
        {
            span[n++] = (byte)',';
            PutNumber(span, ref n, y);
        }

        output.Advance(n);
    }

    /// <summary>Room enough for any prediction: the id (3 bytes a char, 6 when escaped), t, every y (≤ 16 bytes).</summary>
    private static int MaxBytes(Prediction prediction) => prediction.SequenceId.Length * 6 + prediction.Y.Length * 20 + 64;

    private static void Put(Span<byte> span, ref int n, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[n..]);
        n += bytes.Length;
    }

    private static void PutNumber<T>(Span<byte> span, ref int n, T value) where T : IUtf8SpanFormattable
    {
        if (!value.TryFormat(span[n..], out int written, default, CultureInfo.InvariantCulture))
            throw new InvalidOperationException("prediction buffer too small"); // MaxBytes leaves room for any number
        n += written;
    }

    private static void PutJsonText(Span<byte> span, ref int n, string text)
    {
        int written = Encoding.UTF8.GetBytes(text, span[n..]);
        if (Escaper.FindFirstCharacterToEncodeUtf8(span.Slice(n, written)) < 0)
        {
            n += written;
            return;
        }

        Put(span, ref n, JsonEncodedText.Encode(text, Escaper).EncodedUtf8Bytes); // quotes, backslashes, control characters: rare
    }
}
