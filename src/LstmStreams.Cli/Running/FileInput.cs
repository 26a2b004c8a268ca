using LstmStreams.Formats;
using LstmStreams.Pipeline;

namespace LstmStreams.Cli.Running;

/// <summary>Input formats of <c>lstm-streams run</c>.</summary>
internal enum InputFormat
{
    Jsonl,
    Csv,
}

/// <summary>
/// Opens <c>run</c>'s input (a file or stdin) as an <see cref="ObservationReader"/> with the parser of its format,
/// and turns it into a source of observation groups read on the blocking-IO dispatcher.
/// </summary>
internal static class FileInput
{
    public static InputFormat Guess(string path, string? format) => format?.ToLowerInvariant() switch
    {
        "csv" => InputFormat.Csv,
        "jsonl" or "json" or "ndjson" => InputFormat.Jsonl,
        null or "" => path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? InputFormat.Csv : InputFormat.Jsonl,
        _ => throw new ArgumentException($"unknown --format '{format}': use jsonl or csv."),
    };

    public static OutputFormat GuessOutput(string path, string? format) => format?.ToLowerInvariant() switch
    {
        "csv" => OutputFormat.Csv,
        "jsonl" or "json" or "ndjson" => OutputFormat.Jsonl,
        null or "" => path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? OutputFormat.Csv : OutputFormat.Jsonl,
        _ => throw new ArgumentException($"unknown --output-format '{format}': use jsonl or csv."),
    };

    /// <summary>
    /// Opens the input now (so a missing file fails before the stream starts) and reads a CSV input's header: an
    /// input whose header cannot be used (no id column, no feature columns, a named feature missing, not as many
    /// features as the model has inputs, or no header at all) would otherwise have every line rejected, so it is
    /// refused as a whole.
    /// </summary>
    /// <exception cref="InvalidDataException">The header is unusable; the message names the input and the fix.</exception>
    /// <exception cref="IOException">The input cannot be opened.</exception>
    public static ObservationReader Open(string path, InputFormat format, InputFields fields, int modelInputs, Action<ObservationError> onError, Action<string>? notice = null)
    {
        Stream stream = path == "-" ? Console.OpenStandardInput() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
        var reader = new ObservationReader(stream, null, onError);
        // Each parsing thread gets a parser of its own (they intern ids and keep scratch space).
        try
        {
            if (format == InputFormat.Jsonl)
            {
                reader.UseParser(() =>
                {
                    var parser = new JsonlObservations(fields);
                    return (line, position) => parser.Read(line, position);
                });
            }
            else
            {
                var csv = ReadCsvHeader(reader, path, fields, modelInputs);
                if (csv.Notice is { } text) notice?.Invoke($"input {Name(path)}: {text}");
                reader.UseParser(() => csv.Copy().Read);
            }
        }
        catch
        {
            reader.Dispose();
            throw;
        }

        return reader;
    }

    /// <summary>Reads and checks a CSV input's header line.</summary>
    /// <exception cref="InvalidDataException">The message names the input, what is wrong and the fix.</exception>
    public static CsvObservations ReadCsvHeader(ObservationReader reader, string path, InputFields fields, int modelInputs)
    {
        string? header = reader.ReadLine();
        if (header is null)
            throw new InvalidDataException($"input {Name(path)} is empty: a CSV input starts with a header line such as {fields.SequenceField},{fields.TimeField},x0,x1,….");
        CsvObservations csv;
        try
        {
            csv = CsvObservations.FromHeader(header, fields);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"input {Name(path)}: {e.Message}", e);
        }

        if (csv.FeatureNames.Count != modelInputs)
        {
            throw new InvalidDataException($"input {Name(path)}: the CSV header has {csv.FeatureNames.Count} feature column(s) ({string.Join(", ", csv.FeatureNames)}) " +
                $"but the model takes {modelInputs} input(s): give one column per input besides {fields.SequenceField}, {fields.TimeField}, reset and end, or name them with --features.");
        }

        return csv;
    }

    /// <summary>Creates (or truncates) an output file that others may read while it is written (tail -f), and its
    /// folder if it does not exist yet.</summary>
    public static FileStream CreateOutput(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1);
    }

    private static string Name(string path) => path == "-" ? "stdin" : $"'{path}'";
}
