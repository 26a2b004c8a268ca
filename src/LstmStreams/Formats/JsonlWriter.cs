using System.Text.Json;
using LstmStreams.Pipeline;

namespace LstmStreams.Formats;

/// <summary>
/// Writes error records as JSON lines: <c>{"position": 12, "seq": "sensor/17", "error": "…", "kind": "invalid"}</c>
/// (predictions go through <see cref="PredictionWriter"/>). Thread-safe: the parsing threads and the compute stage
/// report into one; flushes on <see cref="Dispose"/>.
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

    /// <summary>Writes one error record line.</summary>
    public void Write(ObservationError error)
    {
        lock (_gate)
        {
            WriteError(_writer, error);
            EndLine();
        }
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
