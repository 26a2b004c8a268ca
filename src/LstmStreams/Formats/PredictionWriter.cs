using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using LstmStreams.Pipeline;

namespace LstmStreams.Formats;

/// <summary>How predictions are written.</summary>
public enum OutputFormat
{
    /// <summary>One JSON object per line: <c>{"seq":"sensor/17","t":1700000000,"y":[0.93,0.01]}</c>.</summary>
    Jsonl,

    /// <summary>A header <c>seq,t,y0,y1,…</c>, then one row per prediction.</summary>
    Csv,
}

/// <summary>
/// Writes predictions as JSONL or CSV, a batch at a time: each batch is formatted into one reused UTF-8 buffer
/// (<see cref="IUtf8SpanFormattable"/>, no string or object per prediction) and written with one call. Floats are
/// written in their shortest form that reads back as the same float32; a non-finite output (a model that
/// overflowed) as <c>"NaN"</c>, <c>"Infinity"</c> or <c>"-Infinity"</c> (a JSON string; bare in CSV).
/// Thread-safe (a timer may <see cref="Flush"/> while the sink writes); flushes on <see cref="Dispose"/>.
/// </summary>
public sealed class PredictionWriter : IDisposable
{
    private const int FlushBytes = 1 << 16;
    private static readonly JavaScriptEncoder Escaper = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly OutputFormat _format;
    private readonly Func<Prediction, bool>? _filter;
    private readonly object _gate = new();
    private byte[] _buffer = new byte[FlushBytes * 2];
    private int _length;

    /// <summary>Writes to <paramref name="stream"/>.</summary>
    /// <param name="stream">The output.</param>
    /// <param name="format">JSONL or CSV.</param>
    /// <param name="outputs">The model's output width O (the CSV header's y columns).</param>
    /// <param name="ownsStream">Dispose the stream with the writer.</param>
    /// <param name="filter">Writes only the predictions it accepts (null: all).</param>
    public PredictionWriter(Stream stream, OutputFormat format, int outputs, bool ownsStream = true, Func<Prediction, bool>? filter = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        (_stream, _format, _ownsStream, _filter) = (stream, format, ownsStream, filter);
        if (format == OutputFormat.Csv)
        {
            var header = new StringBuilder("seq,t");
            for (int i = 0; i < outputs; i++) header.Append(CultureInfo.InvariantCulture, $",y{i}");
            Append(Encoding.UTF8.GetBytes(header.Append('\n').ToString()));
        }
    }

    /// <summary>Predictions written (after the filter).</summary>
    public long Written { get; private set; }

    /// <summary>Writes a batch of predictions.</summary>
    public void Write(IReadOnlyList<Prediction> predictions)
    {
        lock (_gate)
        {
            for (int i = 0; i < predictions.Count; i++) Format(predictions[i]);
            if (_length >= FlushBytes) WriteBuffer();
        }
    }

    /// <summary>Writes one prediction.</summary>
    public void Write(Prediction prediction)
    {
        lock (_gate)
        {
            Format(prediction);
            if (_length >= FlushBytes) WriteBuffer();
        }
    }

    /// <summary>Writes what is buffered to the stream and flushes it.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            WriteBuffer();
            _stream.Flush();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Flush();
        if (_ownsStream) _stream.Dispose();
    }

    private void Format(Prediction p)
    {
        if (_filter is not null && !_filter(p)) return;
        Written++;
        // Room for the id (3 bytes a char at most, 6 when escaped), t and every y (at most ~16 bytes each).
        Reserve(p.SequenceId.Length * 6 + p.Y.Length * 20 + 64);
        if (_format == OutputFormat.Jsonl)
        {
            Append("{\"seq\":\""u8);
            AppendJsonText(p.SequenceId);
            Append("\",\"t\":"u8);
            AppendNumber(p.T);
            Append(",\"y\":["u8);
            for (int i = 0; i < p.Y.Length; i++)
            {
                if (i > 0) Append(","u8);
                float y = p.Y[i];
                if (float.IsFinite(y)) AppendNumber(y);
                else
                {
                    Append("\""u8);
                    AppendNumber(y);
                    Append("\""u8);
                }
            }

            Append("]}\n"u8);
        }
        else
        {
            AppendCsvText(p.SequenceId);
            Append(","u8);
            AppendNumber(p.T);
            for (int i = 0; i < p.Y.Length; i++)
            {
                Append(","u8);
                AppendNumber(p.Y[i]);
            }

            Append("\n"u8);
        }
    }

    private void AppendJsonText(string text)
    {
        int written = Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
        var utf8 = _buffer.AsSpan(_length, written);
        if (Escaper.FindFirstCharacterToEncodeUtf8(utf8) < 0)
        {
            _length += written;
            return;
        }

        Append(JsonEncodedText.Encode(text, Escaper).EncodedUtf8Bytes); // quotes, backslashes, control characters: rare
    }

    private void AppendCsvText(string text)
    {
        if (text.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
            return;
        }

        Append(Encoding.UTF8.GetBytes("\"" + text.Replace("\"", "\"\"") + "\""));
    }

    private void AppendNumber<T>(T value) where T : IUtf8SpanFormattable
    {
        if (!value.TryFormat(_buffer.AsSpan(_length), out int written, default, CultureInfo.InvariantCulture))
            throw new InvalidOperationException("prediction buffer too small"); // Reserve leaves room for any number
        _length += written;
    }

    private void Append(ReadOnlySpan<byte> utf8)
    {
        Reserve(utf8.Length);
        utf8.CopyTo(_buffer.AsSpan(_length));
        _length += utf8.Length;
    }

    private void Reserve(int bytes)
    {
        if (_length + bytes <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
    }

    private void WriteBuffer()
    {
        if (_length == 0) return;
        _stream.Write(_buffer, 0, _length);
        _length = 0;
    }
}
