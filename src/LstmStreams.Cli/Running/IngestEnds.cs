using LstmStreams.Cli.Commands;
using LstmStreams.Cluster.Ingest;
using LstmStreams.Formats;

namespace LstmStreams.Cli.Running;

/// <summary>The input reader and the two writers of an ingesting node, opened as <c>run</c> opens them; a failure
/// to open one is kept with its exit code (3 input, 4 output) instead of thrown.</summary>
internal sealed class IngestEnds : IDisposable
{
    private PredictionWriter? _predictions;
    private JsonlWriter? _errors;

    private IngestEnds()
    {
    }

    public ObservationReader Reader { get; private set; } = null!;

    public IngestOutput Output { get; private set; } = null!;

    public (string Message, int ExitCode)? Failure { get; private set; }

    public static IngestEnds Open(RunOptions run, InputFields fields, Core.Model.RecurrentModel model)
    {
        var ends = new IngestEnds();
        try
        {
            ends._errors = new JsonlWriter(run.Errors is null ? Console.OpenStandardError() : FileInput.CreateOutput(run.Errors), ownsStream: run.Errors is not null);
            ends._predictions = new PredictionWriter(run.Output == "-" ? Console.OpenStandardOutput() : FileInput.CreateOutput(run.Output),
                FileInput.GuessOutput(run.Output, run.OutputFormat), model.OutputSize, ownsStream: run.Output != "-");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ends.Failure = ($"output '{run.Output}' or error records '{run.Errors}' cannot be written: {e.Message}", 4);
            return ends;
        }

        try
        {
            var errors = ends._errors;
            ends.Reader = FileInput.Open(run.Input, FileInput.Guess(run.Input, run.Format), fields, model.InputSize, errors.Write, notice => Console.Error.WriteLine($"note: {notice}"));
        }
        catch (ArgumentException e)
        {
            ends.Failure = (e.Message, 2);
            return ends;
        }
        catch (InvalidDataException e)
        {
            ends.Failure = (e.Message, 3);
            return ends;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ends.Failure = ($"input '{run.Input}' cannot be read: {e.Message}", 3);
            return ends;
        }

        var predictions = ends._predictions;
        var errorWriter = ends._errors;
        ends.Output = new IngestOutput(predictions.Write, errorWriter.Write);
        return ends;
    }

    public void Flush()
    {
        _predictions?.Flush();
        _errors?.Flush();
    }

    public void Dispose()
    {
        Reader?.Dispose();
        _predictions?.Dispose();
        _errors?.Dispose();
    }
}
