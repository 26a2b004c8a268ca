using System.Collections;
using Razorvine.Pickle;

namespace LstmStreams.Core.Import;

/// <summary>
/// Reads a state_dict written by <c>torch.save(model.state_dict(), "model.pt")</c> (the zip format of PyTorch 1.6
/// and later). The pickle's globals are checked against <see cref="TorchPickleAllowlist"/> before it is
/// unpickled by a restricted <see cref="TorchUnpickler"/>; storages are then read from the archive and each tensor
/// copied out of its storage with its offset and strides. float32, float16, bfloat16 and float64 become float32.
/// An optional entry <c>"__metadata__"</c> (a dict of str to str) carries the same metadata as safetensors'
/// header (<c>cell</c>, <c>head_activation</c>, the <see cref="ScalingMetadata"/> keys).
/// </summary>
public static class TorchSaveFile
{
    /// <summary>The state_dict key whose value, a dict of str to str, is read as metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Reads a whole torch.save file.</summary>
    /// <exception cref="ModelFormatException">The file is missing, unreadable, corrupt, asks for a class a state_dict
    /// does not need, or is not a state_dict of float tensors; the message says which and the fix.</exception>
    public static StateDict Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var archive = TorchSaveArchive.Open(path);
        byte[] pickle = archive.ReadPickle();
        IReadOnlyList<string> globals;
        try
        {
            globals = PickleGlobals.Scan(pickle);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ModelFormatException(path, $"data.pkl is not a valid pickle ({e.Message}); the file is corrupt.", e);
        }

        TorchPickleAllowlist.Check(path, globals);
        object? root;
        try
        {
            using var unpickler = new TorchUnpickler();
            root = unpickler.Load(pickle);
        }
        catch (Exception e) when (e is not ModelFormatException and not OutOfMemoryException)
        {
            // Untrusted bytes in a third-party parser: whatever it throws becomes a refusal, never a stack trace.
            throw new ModelFormatException(path, $"data.pkl is not a state_dict pickle ({e.GetType().Name}: {e.Message}); the file is corrupt or not a state_dict. " +
                "Save with torch.save(model.state_dict(), \"model.pt\").", e);
        }

        return ToStateDict(path, root, archive);
    }

    private static StateDict ToStateDict(string path, object? root, TorchSaveArchive archive)
    {
        if (root is not Hashtable dict)
            throw new ModelFormatException(path, $"holds a pickled {PythonType(root)}, not a state_dict (a dict of tensors). Save with torch.save(model.state_dict(), \"model.pt\").");
        foreach (DictionaryEntry item in dict)
        {
            if (item.Value is Hashtable nested && nested.Values.OfType<TorchTensorView>().Any())
                throw new ModelFormatException(path, $"holds a checkpoint whose entry '{item.Key}' is a dict of tensors, not a state_dict itself. " +
                    $"Save that entry alone: torch.save(checkpoint[\"{item.Key}\"], \"model.pt\") (or torch.save(model.state_dict(), \"model.pt\")).");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new List<SafetensorsTensor>(dict.Count);
        foreach (DictionaryEntry item in dict)
        {
            if (item.Key is not string name)
                throw new ModelFormatException(path, $"has a state_dict key {item.Key} that is a {PythonType(item.Key)}, not a str.");
            switch (item.Value)
            {
                case TorchTensorView view:
                    var values = TorchTensorReader.Read(path, name, view, archive.ReadStorage(view.Storage));
                    tensors.Add(new SafetensorsTensor(name, view.Storage.DType, view.Size.Select(s => (int)s).ToArray(), values));
                    break;
                case Hashtable meta when name == MetadataKey:
                    ReadMetadata(path, meta, metadata);
                    break;
                default:
                    throw new ModelFormatException(path, $"entry '{name}' is a {PythonType(item.Value)}, not a tensor; a state_dict holds only tensors " +
                        $"(metadata goes under \"{MetadataKey}\" as a dict of str to str). Save with torch.save(model.state_dict(), \"model.pt\").");
            }
        }

        return new StateDict(path, ModelFileFormat.TorchSave.ToName(), metadata, tensors);
    }

    private static void ReadMetadata(string path, Hashtable meta, Dictionary<string, string> metadata)
    {
        foreach (DictionaryEntry pair in meta)
        {
            if (pair.Key is not string key || pair.Value is not string value)
                throw new ModelFormatException(path, $"\"{MetadataKey}\" must be a dict of str to str, but holds {PythonType(pair.Key)} {pair.Key} → {PythonType(pair.Value)}; write each value as a string (json.dumps for lists).");
            metadata[key] = value;
        }
    }

    private static string PythonType(object? value) => value switch
    {
        null => "None",
        string => "str",
        int or long or System.Numerics.BigInteger => "int",
        double => "float",
        bool => "bool",
        byte[] => "bytes",
        object[] => "tuple",
        ArrayList => "list",
        Hashtable => "dict",
        TorchTensorView => "tensor",
        TorchStorageRef => "storage",
        IObjectConstructor => "class",
        _ => value.GetType().Name,
    };
}
