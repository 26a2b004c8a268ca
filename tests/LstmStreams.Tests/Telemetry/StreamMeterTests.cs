using System.Diagnostics.Metrics;
using Akka.Streams.Dsl;
using LstmStreams.Pipeline;
using LstmStreams.Telemetry;
using LstmStreams.Tests.Pipeline;
using Xunit;

namespace LstmStreams.Tests.Telemetry;

/// <summary>The meter sums every pipeline in the process: these tests run alone, so the deltas they read are their own.</summary>
[CollectionDefinition(nameof(StreamMeterCollection), DisableParallelization = true)]
public sealed class StreamMeterCollection;

[Collection(nameof(StreamMeterCollection))]
public sealed class StreamMeterTests : PipelineSpec
{
    [Fact]
    public void Counters_grow_by_exactly_what_went_in_and_came_out()
    {
        var model = TestModels.Random(input: 3, hidden: 4, layers: 1, output: 2);
        var random = new Random(3);
        var input = Enumerable.Range(0, 120).Select(i => new Observation($"s{i % 7}", TestModels.Features(random, 3)))
            .Append(new Observation("bad", [1f, 2f])) // wrong width: an error record, not an observation in
            .ToList();
        long before = Read("lstm_streams.observations"), predictedBefore = Read("lstm_streams.predictions");

        var (predictions, errors, _) = Run(model, Source.From(input));

        Assert.Equal(120, predictions.Count);
        Assert.Single(errors);
        Assert.Equal(120, Read("lstm_streams.observations") - before);
        Assert.Equal(120, Read("lstm_streams.predictions") - predictedBefore);
        Assert.Equal(0, Read("lstm_streams.in_flight"));
    }

    private static long Read(string instrument)
    {
        long value = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == StreamMeter.Name && i.Name == instrument) l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<long>((_, measurement, _, _) => value += measurement);
        listener.Start();
        listener.RecordObservableInstruments();
        return value;
    }
}
