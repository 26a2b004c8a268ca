using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Core.Model;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Tests.Pipeline;

/// <summary>Runs observations through the real flow and collects predictions and error records.</summary>
public abstract class PipelineSpec : Akka.TestKit.Xunit2.TestKit
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    protected PipelineSpec() : base(StreamingSettings.ReferenceConfig)
    {
    }

    protected (IReadOnlyList<Prediction> Predictions, List<ObservationError> Errors, PipelineMetrics Metrics) Run(
        RecurrentModel model, Source<Observation, Akka.NotUsed> source, StreamingSettings? settings = null, Flow<Prediction, Prediction, Akka.NotUsed>? sinkSide = null)
    {
        var errors = new List<ObservationError>();
        var flow = LstmStream.Create(Sys, model, settings ?? StreamingSettings.Default with { Kernel = Core.Kernels.KernelBackend.Reference }, e =>
        {
            lock (errors) errors.Add(e);
        });
        var (metrics, done) = source
            .ViaMaterialized(flow, Keep.Right)
            .Via(sinkSide ?? Flow.Create<Prediction>())
            .ToMaterialized(Sink.Seq<Prediction>(), Keep.Both)
            .Run(Sys.Materializer());
        Assert.True(done.Wait(Timeout), "the stream did not complete in time");
        return (done.Result, errors, metrics);
    }
}
