using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace LstmStreams.Core.Import;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end)}, "__metadata__": {string: string}}</c>,
/// offsets relative to the data start), then the tensor bytes. Every claim the header makes is checked
/// against the file before anything is allocated, so a lying header cannot cause a huge allocation.
/// </summary>
public sealed class SafetensorsFile
{
    /// <summary>The largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private const string MetadataKey = "__metadata__";

    private SafetensorsFile(string path, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<SafetensorsTensor> tensors)
    {
        Path = path;
        Metadata = metadata;
        Tensors = tensors;
        ByName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file that was read.</summary>
    public string Path { get; }

    /// <summary>The header's "__metadata__" (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>All tensors, sorted by name.</summary>
    public IReadOnlyList<SafetensorsTensor> Tensors { get; }

    /// <summary>Tensors by state_dict key.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensor> ByName { get; }

    /// <summary>Reads a whole file, converting every tensor to float32.</summary>
    /// <exception cref="ModelFormatException">The file is missing, unreadable or malformed; the message says how.</exception>
    public static SafetensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return Read(path, file);
        }
        catch (FileNotFoundException)
        {
            throw new ModelFormatException(path, "no such file; check the model path (run --model, inspect MODEL).");
        }
        catch (DirectoryNotFoundException)
        {
            throw new ModelFormatException(path, "no such directory; check the model path (run --model, inspect MODEL).");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ModelFormatException(path, $"cannot be read: {e.Message}");
        }
        catch (IOException e)
        {
            throw new ModelFormatException(path, $"cannot be read: {e.Message}");
        }
    }

    private static SafetensorsFile Read(string path, Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        long length = RandomAccess.GetLength(file);
        if (length < 8)
            throw new ModelFormatException(path, $"is {length} bytes long, too short for a safetensors file (8-byte header length, JSON header, data); is it truncated?");

        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(file, prefix, 0);
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (declared > (ulong)(length - 8))
            throw new ModelFormatException(path, $"header length {declared} runs past the end of the file ({length} bytes); the file is truncated or not safetensors.");
        if (declared > MaxHeaderBytes)
            throw new ModelFormatException(path, $"header length {declared} exceeds the {MaxHeaderBytes}-byte limit; not a safetensors file.");
        if (declared < 2)
            throw new ModelFormatException(path, $"header length {declared} is too small to hold a JSON object.");

        var headerBytes = new byte[(int)declared];
        ReadExactly(file, headerBytes, 8);
        long dataStart = 8 + (long)declared;
        long dataLength = length - dataStart;

        var entries = ParseHeader(path, headerBytes, dataLength, out var metadata);
        var tensors = new List<SafetensorsTensor>(entries.Count);
        foreach (var entry in entries)
        {
            var bytes = new byte[entry.End - entry.Begin];
            ReadExactly(file, bytes, dataStart + entry.Begin);
            tensors.Add(new SafetensorsTensor(entry.Name, entry.DType, entry.Shape, ToFloat32(entry.DType, bytes)));
        }

        tensors.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new SafetensorsFile(path, metadata, tensors);
    }

    private static List<HeaderEntry> ParseHeader(string path, byte[] headerBytes, long dataLength, out Dictionary<string, string> metadata)
    {
        metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<HeaderEntry>();
        JsonDocument document;
        try
        {
            var text = new UTF8Encoding(false, true).GetString(headerBytes);
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException)
        {
            throw new ModelFormatException(path, $"the header is not valid UTF-8 JSON ({e.Message}); the file is corrupt or not safetensors.");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException(path, "the header is not a JSON object; the file is corrupt or not safetensors.");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new ModelFormatException(path, $"the header names '{property.Name}' twice.");
                if (property.Name == MetadataKey)
                    ReadMetadata(path, property.Value, metadata);
                else
                    entries.Add(ParseEntry(path, property.Name, property.Value, dataLength));
            }
        }

        CheckNoOverlap(path, entries);
        return entries;
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(path, "\"__metadata__\" must be an object of string to string.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new ModelFormatException(path, $"metadata '{item.Name}' must be a string but is {item.Value.ValueKind}.");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static HeaderEntry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        string Bad(string what) => $"tensor '{name}': {what}";
        if (value.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(path, Bad("its header entry is not an object."));
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new ModelFormatException(path, Bad("missing \"dtype\"."));
        string dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            throw new ModelFormatException(path, Bad($"unsupported dtype \"{dtypeName}\"; save the state_dict as float32, float16, bfloat16 or float64."));

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException(path, Bad("missing \"shape\" array."));
        var shape = new int[shapeElement.GetArrayLength()];
        long elements = 1;
        int d = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt32(out int size) || size < 0)
                throw new ModelFormatException(path, Bad($"shape entry {d} is not a non-negative integer."));
            shape[d++] = size;
            elements = size == 0 ? 0 : elements > long.MaxValue / size ? long.MaxValue : elements * size;
        }

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new ModelFormatException(path, Bad("missing \"data_offsets\" [begin, end]."));
        if (!offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new ModelFormatException(path, Bad("\"data_offsets\" must be two integers with 0 <= begin <= end."));
        if (end > dataLength)
            throw new ModelFormatException(path, Bad($"data_offsets [{begin}, {end}) lie outside the {dataLength} bytes of data; the file is truncated or corrupt."));
        if (elements > int.MaxValue || elements * dtype.Size() != end - begin)
            throw new ModelFormatException(path, Bad($"shape [{string.Join(", ", shape)}] of {dtypeName} needs {(elements > int.MaxValue ? "more than 2^31 elements" : $"{elements * dtype.Size()} bytes")} but data_offsets span {end - begin} bytes."));
        return new HeaderEntry(name, dtype, shape, begin, end);
    }

    private static void CheckNoOverlap(string path, List<HeaderEntry> entries)
    {
        var byBegin = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ToList();
        for (int i = 1; i < byBegin.Count; i++)
        {
            if (byBegin[i].Begin < byBegin[i - 1].End)
                throw new ModelFormatException(path, $"tensors '{byBegin[i - 1].Name}' and '{byBegin[i].Name}' overlap in the data section; the file is corrupt.");
        }
    }

    private static float[] ToFloat32(SafetensorsDType dtype, byte[] bytes)
    {
        var result = new float[bytes.Length / dtype.Size()];
        switch (dtype)
        {
            case SafetensorsDType.F32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
                break;
            case SafetensorsDType.F16:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2));
                break;
            case SafetensorsDType.BF16:
                for (int i = 0; i < result.Length; i++)
                    result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2)) << 16);
                break;
            case SafetensorsDType.F64:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * 8));
                break;
        }

        return result;
    }

    private static void ReadExactly(Microsoft.Win32.SafeHandles.SafeFileHandle file, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            int read = RandomAccess.Read(file, buffer, offset);
            if (read == 0) throw new EndOfStreamException("the file ended early");
            buffer = buffer[read..];
            offset += read;
        }
    }

    /// <summary>
    /// Writes float32 tensors and metadata as a safetensors file (header padded with spaces to a multiple
    /// of 8, tensors in name order), as the reference implementation does.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, int[] Shape, float[] Values)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, shape, values) in ordered)
            {
                long count = 1;
                foreach (int dim in shape) count *= dim;
                if (count != values.Length)
                    throw new ArgumentException($"tensor '{name}' has shape [{string.Join(", ", shape)}] but {values.Length} values.", nameof(tensors));
                writer.WriteStartObject(name);
                writer.WriteString("dtype", "F32");
                writer.WriteStartArray("shape");
                foreach (int dim in shape) writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + (long)values.Length * 4);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += (long)values.Length * 4;
            }

            writer.WriteEndObject();
        }

        int padding = (int)((8 - json.Length % 8) % 8);
        for (int i = 0; i < padding; i++) json.WriteByte((byte)' ');

        using var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)json.Length);
        output.Write(prefix);
        json.Position = 0;
        json.CopyTo(output);
        foreach (var (_, _, values) in ordered)
        {
            if (BitConverter.IsLittleEndian)
            {
                output.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            }
            else
            {
                var buffer = new byte[values.Length * 4];
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), values[i]);
                output.Write(buffer);
            }
        }
    }

    private sealed record HeaderEntry(string Name, SafetensorsDType DType, int[] Shape, long Begin, long End);
}
