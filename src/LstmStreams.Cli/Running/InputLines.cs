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

    public static Source<ParsedLine, NotUsed> Parse(TextReader reader, InputFormat format)
    {
        IEnumerable<ParsedLine> Lines()
        {
            using (reader)
            {
                long position = 0;
                CsvObservations? csv = null;
                string? line;
                while ((line = reader.ReadLine()) is not null)
                {
                    position++;
                    if (format == InputFormat.Csv)
                    {
                        if (csv is null)
                        {
                            ParsedLine? headerError = null;
                            try
                            {
                                csv = CsvObservations.FromHeader(line);
                            }
                            catch (FormatException e)
                            {
                                headerError = ParsedLine.Bad(position, null, e.Message);
                            }

                            if (headerError is { } bad)
                            {
                                yield return bad;
                                yield break;
                            }

                            continue;
                        }

                        if (line.Length == 0) continue;
                        yield return csv.Parse(line, position);
                    }
                    else
                    {
                        if (line.Length == 0) continue;
                        yield return JsonlObservations.Parse(line, position);
                    }
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
