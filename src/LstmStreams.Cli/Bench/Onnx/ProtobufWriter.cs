using System.Buffers.Binary;
using System.Text;

namespace LstmStreams.Cli.Bench.Onnx;

/// <summary>
/// The few protobuf encodings an ONNX model needs: varints, 32-bit floats, length-delimited bytes and
/// nested messages (written into their own buffer, then framed with their length).
/// </summary>
internal sealed class ProtobufWriter
{
    private readonly MemoryStream _buffer = new();

    public void Varint(int field, long value)
    {
        Tag(field, 0);
        WriteVarint((ulong)value);
    }

    public void Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _buffer.Write(bytes);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
    }

    public void Message(int field, Action<ProtobufWriter> write)
    {
        var inner = new ProtobufWriter();
        write(inner);
        Bytes(field, inner.ToArray());
    }

    public byte[] ToArray() => _buffer.ToArray();

    private void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _buffer.WriteByte((byte)value);
    }
}
