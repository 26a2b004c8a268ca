using Akka;
using Akka.Streams.Dsl;
using LstmStreams.Cli.Commands;
using LstmStreams.Cluster.Ingest;
using LstmStreams.Formats;
using LstmStreams.Mqtt;
using LstmStreams.Pipeline;

namespace LstmStreams.Cli.Running;

/// <summary>The input (a file, stdin, or an MQTT subscription) and the two writers of an ingesting node, opened as
/// <c>run</c> opens them; a failure to open one is kept with its exit code (2 settings, 3 input, 4 output) instead of
/// thrown. Over MQTT an input message is acknowledged to the broker only once every observation of it is in a durable
/// snapshot (released) and its predictions are flushed to the output; <c>$share/GROUP/…</c> spreads the messages over
/// several ingesting nodes.</summary>
internal sealed class IngestEnds : IDisposable
{
    private PredictionWriter? _predictions;
    private JsonlWriter? _errors;

    private IngestEnds()
    {
    }

    private ObservationReader? _reader;

    /// <summary>The observations: in groups of at most the given size (a file), or as they arrive (MQTT).</summary>
    public Func<int, Source<IReadOnlyList<Observation>, NotUsed>> Groups { get; private set; } = null!;

    /// <summary>Whether the input is a broker (it never ends: the node ingests until SIGTERM or Ctrl-C).</summary>
    public bool Live { get; private set; }

    public IngestOutput Output { get; private set; } = null!;

    public (string Message, int ExitCode)? Failure { get; private set; }

    /// <summary>Opens the ends of <paramref name="run"/>; <paramref name="node"/> (this node's host:port) makes its MQTT
    /// client id its own (client-id + "-" + node): each member subscribes with its own persistent session.</summary>
    public static IngestEnds Open(RunOptions run, InputFields fields, Core.Model.RecurrentModel model, Akka.Configuration.Config config, string node)
    {
        var ends = new IngestEnds();
        if (MqttRunner.IsAddress(run.Output))
        {
            ends.Failure = ($"--output '{run.Output}': a node writes the predictions of what it ingests to a file or - (stdout); MQTT output from a cluster is not supported yet.", ExitCodes.Usage);
            return ends;
        }

        try
        {
            ends._errors = new JsonlWriter(run.Errors is null ? Console.OpenStandardError() : FileInput.CreateOutput(run.Errors), ownsStream: run.Errors is not null);
            ends._predictions = new PredictionWriter(run.Output == "-" ? Console.OpenStandardOutput() : FileInput.CreateOutput(run.Output),
                FileInput.GuessOutput(run.Output, run.OutputFormat), model.OutputSize, ownsStream: run.Output != "-");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ends.Failure = ($"output '{run.Output}' or error records '{run.Errors}' cannot be written: {e.Message}", ExitCodes.Output);
            return ends;
        }

        if (MqttRunner.IsAddress(run.Input)) return ends.OpenMqtt(run, fields, config, node);
        try
        {
            var errors = ends._errors;
            ends._reader = FileInput.Open(run.Input, FileInput.Guess(run.Input, run.Format), fields, model.InputSize, errors.Write, notice => Console.Error.WriteLine($"note: {notice}"));
        }
        catch (ArgumentException e)
        {
            ends.Failure = (e.Message, ExitCodes.Usage);
            return ends;
        }
        catch (InvalidDataException e)
        {
            ends.Failure = (e.Message, ExitCodes.Input);
            return ends;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ends.Failure = ($"input '{run.Input}' cannot be read: {e.Message}", ExitCodes.Input);
            return ends;
        }

        var opened = ends._reader;
        ends.Groups = group => opened.Groups(group);
        var predictions = ends._predictions;
        var errorWriter = ends._errors;
        ends.Output = new IngestOutput(predictions.Write, errorWriter.Write);
        return ends;
    }

    private IngestEnds OpenMqtt(RunOptions run, InputFields fields, Akka.Configuration.Config config, string node)
    {
        MqttSettings mqtt;
        try
        {
            mqtt = MqttRunner.Settings(config, run.Input, "-");
            mqtt = mqtt with { Fields = fields, ClientId = $"{mqtt.ClientId}-{node}" };
        }
        catch (ArgumentException e)
        {
            Failure = (e.Message, ExitCodes.Usage);
            return this;
        }

        var acknowledgements = new InputAcknowledgements(mqtt);
        var predictions = _predictions!;
        var errors = _errors!;
        Live = true;
        Groups = _ => Source.FromGraph(new MqttObservationSource(mqtt, acknowledgements, errors.Write)).MapMaterializedValue(_ => NotUsed.Instance);
        Output = new IngestOutput(predictions.Write, error =>
        {
            errors.Write(error);
            acknowledgements.Fail(error);
        }, positions =>
        {
            predictions.Flush(); // written before acknowledged
            foreach (long position in positions) acknowledgements.Complete(position);
        });
        return this;
    }

    public void Flush()
    {
        _predictions?.Flush();
        _errors?.Flush();
    }

    public void Dispose()
    {
        _reader?.Dispose();
        _predictions?.Dispose();
        _errors?.Dispose();
    }
}
