using System.Buffers.Binary;
using System.Text;

namespace LstmStreams.Core.Tests.Import;

/// <summary>Hand-made safetensors files, valid or deliberately broken, in a temporary folder.</summary>
internal sealed class SafetensorsBytes : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-tests-").FullName;
    private int _count;

    public string Write(byte[] bytes)
    {
        string path = Path.Combine(_folder, $"model{_count++}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string Write(string header, byte[] data, ulong? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return Write(bytes);
    }

    public string PathFor(string name) => Path.Combine(_folder, name);

    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
