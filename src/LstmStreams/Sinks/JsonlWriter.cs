using System.Text.Json;
using LstmStreams.Pipeline;

namespace LstmStreams.Sinks;

/// <summary>
/// Writes predictions and error records as JSON lines: <c>{"seq": "sensor/17", "t": 1700000000, "y": [0.93, 0.01]}</c>
/// and <c>{"position": 12, "seq": "sensor/17", "error": "…"}</c>. Floats are written in their shortest
/// round-trip form (a non-finite output as the string "NaN", "Infinity" or "-Infinity").
/// Thread-safe; flushes on <see cref="Dispose"/>.
/// </summary>
public sealed class JsonlWriter : IDisposable
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly Stream _stream;
    private readonly Utf8JsonWriter _writer;
    private readonly bool _ownsStream;
    private readonly object _gate = new();

    /// <summary>Writes to <paramref name="stream"/> (buffered).</summary>
    public JsonlWriter(Stream stream, bool ownsStream = true)
    {
        _stream = new BufferedStream(stream, 1 << 16);
        _ownsStream = ownsStream;
        _writer = new Utf8JsonWriter(_stream, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Writes one prediction line.</summary>
    public void Write(Prediction prediction)
    {
        lock (_gate)
        {
            _writer.WriteStartObject();
            _writer.WriteString("seq"u8, prediction.SequenceId);
            _writer.WriteNumber("t"u8, prediction.T);
            _writer.WriteStartArray("y"u8);
            foreach (float y in prediction.Y)
            {
                // JSON has no NaN or Infinity: such an output (a model that overflowed) is written as a string.
                if (float.IsFinite(y)) _writer.WriteNumberValue(y);
                else _writer.WriteStringValue(y.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            _writer.WriteEndArray();
            _writer.WriteEndObject();
            EndLine();
        }
    }

    /// <summary>Writes one error record line.</summary>
    public void Write(ObservationError error)
    {
        lock (_gate)
        {
            _writer.WriteStartObject();
            _writer.WriteNumber("position"u8, error.Position);
            if (error.SequenceId is null) _writer.WriteNull("seq"u8);
            else _writer.WriteString("seq"u8, error.SequenceId);
            _writer.WriteString("error"u8, error.Reason);
            _writer.WriteEndObject();
            EndLine();
        }
    }

    /// <summary>Flushes buffered lines.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            _writer.Flush();
            _stream.Flush();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Flush();
        _writer.Dispose();
        if (_ownsStream) _stream.Dispose();
        else _stream.Flush();
    }

    private void EndLine()
    {
        _writer.Flush();
        _stream.Write(NewLine);
        _writer.Reset();
    }
}
