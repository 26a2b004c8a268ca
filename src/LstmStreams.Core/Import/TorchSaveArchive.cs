using System.IO.Compression;

namespace LstmStreams.Core.Import;

/// <summary>
/// The zip archive <c>torch.save</c> writes: <c>&lt;top&gt;/data.pkl</c> (the pickle), <c>&lt;top&gt;/data/&lt;key&gt;</c>
/// (each storage's raw little-endian bytes), <c>&lt;top&gt;/byteorder</c> (newer PyTorch); the top folder is named
/// after the file it was saved as. Every size an entry declares is checked against the limits and the storage's
/// own numel before anything is allocated, and what is read must match what was declared (length and CRC-32).
/// </summary>
internal sealed class TorchSaveArchive : IDisposable
{
    /// <summary>The largest data.pkl read: a state_dict's pickle is a few bytes per tensor.</summary>
    public const long MaxPickleBytes = 64L * 1024 * 1024;

    /// <summary>The most storage bytes read from one file (all storages together).</summary>
    public const long MaxStorageBytes = 1L * 1024 * 1024 * 1024;

    /// <summary>An entry that inflates more than this many times its compressed size is refused as a zip bomb
    /// (torch.save stores entries uncompressed).</summary>
    public const long MaxCompressionRatio = 100;

    private readonly string _path;
    private readonly FileStream _stream;
    private readonly ZipArchive _zip;
    private readonly string _top;
    private readonly Dictionary<string, (TorchStorageRef Storage, byte[] Bytes)> _storages = new(StringComparer.Ordinal);
    private long _storageBytesRead;

    private TorchSaveArchive(string path, FileStream stream, ZipArchive zip, string top)
    {
        _path = path;
        _stream = stream;
        _zip = zip;
        _top = top;
    }

    /// <summary>Opens <paramref name="path"/> and finds its data.pkl.</summary>
    /// <exception cref="ModelFormatException">Not a complete zip archive, or not one torch.save wrote.</exception>
    public static TorchSaveArchive Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ModelFileErrors.Unreadable(path, e);
        }

        try
        {
            var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length).ToList();
            if (pickles.Count != 1)
                throw new ModelFormatException(path, $"is a zip archive but not a torch.save file: {(pickles.Count == 0 ? "no" : "more than one")} <folder>/data.pkl entry " +
                    $"(entries: {string.Join(", ", zip.Entries.Take(5).Select(e => e.FullName))}{(zip.Entries.Count > 5 ? ", …" : "")}). Save with torch.save(model.state_dict(), \"model.pt\").");
            var archive = new TorchSaveArchive(path, stream, zip, pickles[0].FullName[..^"data.pkl".Length]);
            archive.CheckByteOrder();
            return archive;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            stream.Dispose();
            throw new ModelFormatException(path, $"is not a complete zip archive ({e.Message}); the file is truncated or corrupt. Save it again with torch.save.", e);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The bytes of data.pkl.</summary>
    public byte[] ReadPickle() => Read(_zip.GetEntry(_top + "data.pkl")!, MaxPickleBytes, expected: null, "data.pkl");

    /// <summary>The bytes of a storage, read once however many tensors view it.</summary>
    /// <exception cref="ModelFormatException">The entry is missing, of another size than numel × element size,
    /// over the limits, or corrupt.</exception>
    public byte[] ReadStorage(TorchStorageRef storage)
    {
        if (_storages.TryGetValue(storage.Key, out var cached))
        {
            if (cached.Storage != storage)
                throw new ModelFormatException(_path, $"storage '{storage.Key}' is declared twice, as {cached.Storage.Numel} {cached.Storage.DType} and as {storage.Numel} {storage.DType}; the file is corrupt.");
            return cached.Bytes;
        }

        string name = _top + "data/" + storage.Key;
        var entry = _zip.GetEntry(name) ?? throw new ModelFormatException(_path, $"the pickle refers to storage '{storage.Key}' but the archive has no entry '{name}'; the file is truncated or corrupt.");
        long size = storage.DType.Size();
        long expected = storage.Numel > MaxStorageBytes / size ? MaxStorageBytes + 1 : storage.Numel * size;
        if (expected > MaxStorageBytes - _storageBytesRead)
            throw new ModelFormatException(_path, $"storage '{storage.Key}' declares {storage.Numel} {storage.DType} elements, past the {MaxStorageBytes}-byte limit for one model file.");
        var bytes = Read(entry, MaxStorageBytes, expected, $"storage '{storage.Key}'");
        _storageBytesRead += bytes.Length;
        _storages[storage.Key] = (storage, bytes);
        return bytes;
    }

    private void CheckByteOrder()
    {
        if (_zip.GetEntry(_top + "byteorder") is not { } entry) return; // older files: always little-endian
        string order = System.Text.Encoding.ASCII.GetString(Read(entry, 16, expected: null, "byteorder")).Trim();
        if (order != "little")
            throw new ModelFormatException(_path, $"was saved on a {order}-endian machine; only little-endian torch.save files are read. Save it again on a little-endian machine (x86, ARM).");
    }

    private byte[] Read(ZipArchiveEntry entry, long limit, long? expected, string what)
    {
        if (expected is { } wanted && entry.Length != wanted)
            throw new ModelFormatException(_path, $"{what} should hold {wanted} bytes (its numel × element size) but its entry '{entry.FullName}' holds {entry.Length}; the file is truncated or corrupt.");
        if (entry.Length > limit)
            throw new ModelFormatException(_path, $"{what} declares {entry.Length} bytes, past the {limit}-byte limit; the file is corrupt or not a state_dict.");
        if (entry.Length > 1024 * 1024 && entry.Length / Math.Max(1, entry.CompressedLength) > MaxCompressionRatio)
            throw new ModelFormatException(_path, $"{what} inflates {entry.CompressedLength} compressed bytes to {entry.Length}; refused as a zip bomb (torch.save stores entries uncompressed).");
        var bytes = new byte[entry.Length];
        try
        {
            using var data = entry.Open();
            data.ReadExactly(bytes);
            if (data.ReadByte() >= 0)
                throw new InvalidDataException("the entry holds more bytes than it declares");
            if (ZipCrc32.Compute(bytes) != entry.Crc32)
                throw new InvalidDataException($"its CRC-32 is {ZipCrc32.Compute(bytes):x8} but the archive records {entry.Crc32:x8}");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or EndOfStreamException)
        {
            throw new ModelFormatException(_path, $"{what} ('{entry.FullName}') cannot be read ({e.Message}); the file is truncated or corrupt.", e);
        }

        return bytes;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _zip.Dispose();
        _stream.Dispose();
    }
}
