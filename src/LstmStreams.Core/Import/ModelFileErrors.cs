namespace LstmStreams.Core.Import;

/// <summary>The refusals every model reader gives for a file it cannot open, with the same words.</summary>
internal static class ModelFileErrors
{
    /// <summary>A missing file or directory, a permission problem, or an I/O error, as a <see cref="ModelFormatException"/>.</summary>
    public static ModelFormatException Unreadable(string path, Exception e) => e switch
    {
        FileNotFoundException => new ModelFormatException(path, "no such file; check the model path (run --model, inspect MODEL)."),
        DirectoryNotFoundException => new ModelFormatException(path, "no such directory; check the model path (run --model, inspect MODEL)."),
        _ => new ModelFormatException(path, $"cannot be read: {e.Message}"),
    };
}
