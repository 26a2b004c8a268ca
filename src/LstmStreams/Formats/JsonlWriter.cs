using System.Text.Json;
using LstmStreams.Pipeline;

namespace LstmStreams.Formats;

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
        _writer = new Utf8JsonWriter(_stream, Options);
    }

    /// <summary>Writes one prediction line.</summary>
    public void Write(Prediction prediction)
    {
        lock (_gate)
        {
            WritePrediction(_writer, prediction);
            EndLine();
        }
    }

    /// <summary>Writes one error record line.</summary>
    public void Write(ObservationError error)
    {
        lock (_gate)
        {
            WriteError(_writer, error);
            EndLine();
        }
    }

    /// <summary>Writes one prediction as a JSON object, <c>{"seq", "t", "y"}</c>: a line of this writer, or a
    /// message payload of another sink (MQTT).</summary>
    public static void WritePrediction(Utf8JsonWriter writer, Prediction prediction)
    {
        writer.WriteStartObject();
        writer.WriteString("seq"u8, prediction.SequenceId);
        writer.WriteNumber("t"u8, prediction.T);
        writer.WriteStartArray("y"u8);
        foreach (float y in prediction.Y)
        {
            // JSON has no NaN or Infinity: such an output (a model that overflowed) is written as a string.
            if (float.IsFinite(y)) writer.WriteNumberValue(y);
            else writer.WriteStringValue(y.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Writes one error record as a JSON object, <c>{"position", "seq", "error"}</c>.</summary>
    public static void WriteError(Utf8JsonWriter writer, ObservationError error)
    {
        writer.WriteStartObject();
        writer.WriteNumber("position"u8, error.Position);
        if (error.SequenceId is null) writer.WriteNull("seq"u8);
        else writer.WriteString("seq"u8, error.SequenceId);
        writer.WriteString("error"u8, error.Reason);
        writer.WriteString("kind"u8, error.Kind switch
        {
            ObservationErrorKind.Duplicate => "duplicate"u8,
            ObservationErrorKind.Refused => "refused"u8,
            _ => "invalid"u8,
        });
        writer.WriteEndObject();
    }

    /// <summary>Options that write JSON the way this writer does (non-ASCII text unescaped).</summary>
    public static JsonWriterOptions Options { get; } = new() { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
