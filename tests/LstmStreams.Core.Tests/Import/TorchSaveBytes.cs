using System.IO.Compression;
using System.Text;

namespace LstmStreams.Core.Tests.Import;

/// <summary>Hand-made torch.save archives and pickles, valid or deliberately broken, in a temporary folder.</summary>
internal sealed class TorchSaveBytes : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-pt-tests-").FullName;
    private int _count;

    public static string Fixtures => Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");

    public static string Refused(string name) => Path.Combine(Fixtures, "torchsave_refused", name + ".pt");

    public string Write(byte[] bytes, string extension = ".pt")
    {
        string path = Path.Combine(_folder, $"model{_count++}{extension}");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A zip archive of the given entries (name → bytes), stored or deflated.</summary>
    public string Zip(IEnumerable<(string Name, byte[] Bytes)> entries, CompressionLevel level = CompressionLevel.NoCompression)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var stream = zip.CreateEntry(name, level).Open();
                stream.Write(bytes);
            }
        }

        return Write(buffer.ToArray());
    }

    /// <summary>
    /// A protocol-2 pickle of {name: _rebuild_tensor_v2(('storage', torch.FloatStorage, '0', 'cpu', numel), offset,
    /// (size,), (1,), False, {})}, as torch.save writes it, with the numbers chosen by the test.
    /// </summary>
    public static byte[] OneTensorPickle(string name, long numel, byte offset, byte size)
    {
        var p = new List<byte> { 0x80, 2, (byte)'}' };
        Unicode(p, name);
        Ascii(p, "ctorch._utils\n_rebuild_tensor_v2\n((");
        Unicode(p, "storage");
        Ascii(p, "ctorch\nFloatStorage\n");
        Unicode(p, "0");
        Unicode(p, "cpu");
        p.Add(0x8a); // LONG1, 8 bytes little-endian
        p.Add(8);
        p.AddRange(BitConverter.GetBytes(numel));
        p.AddRange([(byte)'t', (byte)'Q', (byte)'K', offset, (byte)'K', size, 0x85, (byte)'K', 1, 0x85, 0x89, (byte)'}', (byte)'t', (byte)'R', (byte)'s', (byte)'.']);
        return p.ToArray();
    }

    private static void Unicode(List<byte> p, string text)
    {
        p.Add((byte)'X');
        p.AddRange(BitConverter.GetBytes(Encoding.UTF8.GetByteCount(text)));
        p.AddRange(Encoding.UTF8.GetBytes(text));
    }

    private static void Ascii(List<byte> p, string text) => p.AddRange(Encoding.ASCII.GetBytes(text));

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
