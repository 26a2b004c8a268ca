using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Sources;

namespace LstmStreams.Cli.Running;

/// <summary>Input formats of <c>lstm-streams run</c>.</summary>
internal enum InputFormat
{
    Jsonl,
    Csv,
}

/// <summary>Reads an input file (or stdin) line by line on the blocking-IO dispatcher and parses each line.</summary>
internal static class InputLines
{
    public static InputFormat Guess(string path, string? format) => format?.ToLowerInvariant() switch
    {
        "csv" => InputFormat.Csv,
        "jsonl" or "json" or "ndjson" => InputFormat.Jsonl,
        null or "" => path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? InputFormat.Csv : InputFormat.Jsonl,
        _ => throw new ArgumentException($"unknown --format '{format}': use jsonl or csv."),
    };

    /// <summary>Opens the input now (so a missing file fails before the stream starts).</summary>
    public static TextReader Open(string path) =>
        path == "-" ? new StreamReader(Console.OpenStandardInput(), bufferSize: 1 << 16) : new StreamReader(path, new FileStreamOptions { BufferSize = 1 << 16 });

    /// <summary>
    /// Reads a CSV input's header line now, before the stream starts: an input whose header cannot be used
    /// (no <c>seq</c> column, no feature columns, not as many feature columns as the model has inputs, or no
    /// header at all) would otherwise have every line rejected, so it is refused as a whole.
    /// </summary>
    /// <exception cref="InvalidDataException">The message names the input, what is wrong and the fix.</exception>
    public static CsvObservations ReadCsvHeader(TextReader reader, string path, int modelInputs)
    {
        string name = path == "-" ? "stdin" : $"'{path}'";
        string? header = reader.ReadLine();
        if (header is null)
            throw new InvalidDataException($"input {name} is empty: a CSV input starts with a header line such as seq,t,x0,x1,….");
        CsvObservations csv;
        try
        {
            csv = CsvObservations.FromHeader(header);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"input {name}: {e.Message}", e);
        }

        if (csv.FeatureNames.Count != modelInputs)
        {
            throw new InvalidDataException($"input {name}: the CSV header has {csv.FeatureNames.Count} feature column(s) ({string.Join(", ", csv.FeatureNames)}) " +
                $"but the model takes {modelInputs} input(s): give one column per input besides seq, t, reset and end.");
        }

        return csv;
    }

    /// <summary>Parses the lines of <paramref name="reader"/>: JSONL, or CSV whose header <paramref name="csv"/> was
    /// already read (<see cref="ReadCsvHeader"/>), so data lines are numbered from 2.</summary>
    public static Source<ParsedLine, NotUsed> Parse(TextReader reader, InputFormat format, CsvObservations? csv = null)
    {
        if (format == InputFormat.Csv && csv is null)
            throw new ArgumentException("read the CSV header first (ReadCsvHeader).", nameof(csv));

        IEnumerable<ParsedLine> Lines()
        {
            using (reader)
            {
                long position = csv is null ? 0 : 1;
                string? line;
                while ((line = reader.ReadLine()) is not null)
                {
                    position++;
                    if (line.Length == 0) continue;
                    yield return csv is not null ? csv.Parse(line, position) : JsonlObservations.Parse(line, position);
                }
            }
        }

        // UnfoldResource reads one line per pull. (Source.FromEnumerator looks one element ahead to know whether
        // the input has ended, so on a live pipe the last line read would wait for the next one to arrive.)
        return Source.UnfoldResource<ParsedLine, IEnumerator<ParsedLine>>(
                () => Lines().GetEnumerator(),
                lines => lines.MoveNext() ? Akka.Util.Option<ParsedLine>.Create(lines.Current) : Akka.Util.Option<ParsedLine>.None,
                lines => lines.Dispose())
            .WithAttributes(ActorAttributes.CreateDispatcher("akka.stream.default-blocking-io-dispatcher"))
            .Async();
    }

    /// <summary>Creates (or truncates) an output file that others may read while it is written (tail -f).</summary>
    public static FileStream CreateOutput(string path) => new(path, FileMode.Create, FileAccess.Write, FileShare.Read);
}
