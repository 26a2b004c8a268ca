using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
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
/// Writes predictions as JSONL or CSV lines (<see cref="PredictionText"/>), a batch at a time: each batch is
/// formatted into one reused UTF-8 buffer and written with one call once 64 KB are waiting.
/// Thread-safe (a timer may <see cref="Flush"/> while the sink writes); flushes on <see cref="Dispose"/>.
/// </summary>
public sealed class PredictionWriter : IDisposable
{
    private const int FlushBytes = 1 << 16;
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly OutputFormat _format;
    private readonly Func<Prediction, bool>? _filter;
    private readonly object _gate = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(FlushBytes * 2);

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
            _buffer.Write(Encoding.UTF8.GetBytes(header.Append('\n').ToString()));
        }
    }

    /// <summary>Writes a batch of predictions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Write(IReadOnlyList<Prediction> predictions)
    {
        lock (_gate)
        {
            for (int i = 0; i < predictions.Count; i++) Format(predictions[i]);
            if (_buffer.WrittenCount >= FlushBytes) WriteBuffer();
        }
    }

    /// <summary>Writes one prediction.</summary>
    public void Write(Prediction prediction)
    {
        lock (_gate)
        {
            Format(prediction);
            if (_buffer.WrittenCount >= FlushBytes) WriteBuffer();
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
        if (_format == OutputFormat.Jsonl) PredictionText.WriteJson(_buffer, p);
        else PredictionText.WriteCsv(_buffer, p);
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
    }

    private void WriteBuffer()
    {
        if (_buffer.WrittenCount == 0) return;
        _stream.Write(_buffer.WrittenSpan);
        _buffer.ResetWrittenCount();
    }
}
