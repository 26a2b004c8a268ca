namespace LstmStreams.Core.Import;

/// <summary>
/// A model file that cannot be read or is not a model this engine can stream. The message names the
/// file and the problem, and where there is one, the fix.
/// </summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception; the message becomes "model file 'PATH': PROBLEM".</summary>
    public ModelFormatException(string path, string problem, Exception? inner = null)
        : base($"model file '{path}': {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file that was read.</summary>
    public string Path { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
