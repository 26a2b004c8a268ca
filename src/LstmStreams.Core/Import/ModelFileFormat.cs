using System.Buffers.Binary;

namespace LstmStreams.Core.Import;

/// <summary>The model file formats <see cref="ModelLoader"/> reads, told apart by their first bytes.</summary>
public enum ModelFileFormat
{
    /// <summary>An 8-byte little-endian header length, then a JSON header (<see cref="SafetensorsFile"/>).</summary>
    Safetensors,

    /// <summary>A zip archive written by <c>torch.save</c> (PyTorch 1.6 and later; <see cref="TorchSaveFile"/>).</summary>
    TorchSave,
}

/// <summary>Picks a model file's format by its content, whatever its extension.</summary>
public static class ModelFileFormats
{
    /// <summary>The message's list of what is accepted, and how to write it from PyTorch.</summary>
    internal const string Accepted =
        "accepted formats are torch.save files (torch.save(model.state_dict(), \"model.pt\"), a zip archive) and safetensors";

    /// <summary>The format's name as messages and <c>inspect</c> print it.</summary>
    public static string ToName(this ModelFileFormat format) => format switch
    {
        ModelFileFormat.TorchSave => "torch.save",
        _ => "safetensors",
    };

    /// <summary>Reads the first bytes of <paramref name="path"/> and says which format it is.</summary>
    /// <exception cref="ModelFormatException">The file is missing or unreadable, or is none of the accepted formats
    /// (the message names what it looks like and the formats that are accepted).</exception>
    public static ModelFileFormat Detect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Span<byte> head = stackalloc byte[16];
        long length;
        int read;
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            length = RandomAccess.GetLength(file);
            read = RandomAccess.Read(file, head, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ModelFileErrors.Unreadable(path, e);
        }

        return Classify(path, head[..read], length);
    }

    private static ModelFileFormat Classify(string path, ReadOnlySpan<byte> head, long length)
    {
        if (head.Length >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] is 3 or 5 && head[3] is 4 or 6)
            return ModelFileFormat.TorchSave;
        if (head.Length >= 2 && head[0] == 0x80 && head[1] <= 5)
            throw new ModelFormatException(path, head.Length >= 4 && head[2] == 0x8a && head[3] == 0x0a
                ? "is a torch.save file in the legacy format (PyTorch before 1.6, or _use_new_zipfile_serialization=False), which is not read; " +
                  "re-save it with a current PyTorch: torch.save(torch.load(\"old.pt\"), \"model.pt\")."
                : $"is a plain Python pickle, not a torch.save archive; {Accepted}.");
        if (head.Length < 8)
            throw new ModelFormatException(path, $"is {length} bytes long, too short for a model file; is it truncated? {Capitalized(Accepted)}.");
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (declared >= 2 && declared <= SafetensorsFile.MaxHeaderBytes && (head.Length < 9 || head[8] == (byte)'{'))
            return ModelFileFormat.Safetensors;
        string looks = head[0] == 0x08 ? " (it may be ONNX, which is not read yet)" : "";
        throw new ModelFormatException(path, $"is neither a torch.save archive nor safetensors{looks}; {Accepted}.");
    }

    private static string Capitalized(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
