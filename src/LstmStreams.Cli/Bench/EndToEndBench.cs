using System.Diagnostics;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Core.Model;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Cli.Bench;

/// <summary>The figures of one <c>bench e2e</c> run.</summary>
internal sealed record EndToEndResult
{
    public required string Mode { get; init; }
    public required int Sequences { get; init; }
    public required long Observations { get; init; }
    public required double ObsPerSecond { get; init; }
    public double IdealObsPerSecond { get; init; }
    public double PerEventObsPerSecond { get; init; }
    public required double LatencyP50Ms { get; init; }
    public required double LatencyP99Ms { get; init; }
    public required double LatencyP999Ms { get; init; }
    public required double BatchMean { get; init; }
    public required int BatchP50 { get; init; }
    public required int BatchP99 { get; init; }
    public required double AllocBytesPerObs { get; init; }
    public required int[] GcCollections { get; init; }
    public required double PeakWorkingSetMb { get; init; }
    public required double BytesPerSequence { get; init; }
    public required int StateBytesPerSequence { get; init; }
    public required IReadOnlyList<(TimeSpan UpperBound, long Count)> Histogram { get; init; }
    public required string Kernel { get; init; }
    public TimeSpan WarmUp { get; init; }
    public TimeSpan GcPause { get; init; }
    public int Active { get; init; }
    public int PeakLiveSequences { get; init; }
    public string Store { get; init; } = "none";
    public Persistence.StoreMetrics? StoreFigures { get; init; }
    public TimeSpan IdleTimeout { get; init; }
    public double SteadyObsPerSecond { get; init; }
}

/// <summary>
/// Runs the synthetic workload through the real flow (source → sequence actors → batch → kernel → sink)
/// and collects throughput, latency, batch sizes, allocation, GC and memory figures.
/// </summary>
internal static class EndToEndBench
{
    public static EndToEndResult Run(ActorSystem system, RecurrentModel model, StreamingSettings settings, Workload workload, double? rate, TimeSpan? limit, bool warmUp, TextWriter progress)
    {
        long warm = warmUp && workload.Active == workload.Ids.Length ? workload.Ids.Length : 0; // a sliding window creates sequences as it goes
        long total = warm + workload.Order.Length;
        long received = 0;
        TimeSpan finished = TimeSpan.Zero, warmUpTime = TimeSpan.Zero;
        var clock = new Stopwatch();
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        PipelineMetrics? running = null;
        long allocatedBefore = 0;
        TimeSpan pauseBefore = TimeSpan.Zero;
        int[] collectionsBefore = [];
        void Measure()
        {
            collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
            allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            pauseBefore = GC.GetTotalPauseDuration();
            clock.Restart();
        }

        // Warm-up: one observation per sequence creates every actor; the measured run starts when all of them
        // have come out (the pipeline is then empty), so creation cost is reported apart from the steady state.
        var warmClock = new Stopwatch();
        var warmedUp = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReceived(long count)
        {
            if (count != warm) return;
            warmUpTime = warmClock.Elapsed;
            running?.ResetDistributions();
            // The pipeline is empty now. The warm-up promoted every new actor and state to gen 2, past the gen-2
            // budget set by the small heap before it: left alone, the first background gen-2 collection (~150 MB
            // of small objects at 100,000 sequences) would run inside the measured window, taking most of a core
            // on a 2-core machine (open loop: p99 of 60+ ms in those runs). It belongs to the warm-up.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            Measure();
            warmedUp.TrySetResult(true);
        }

        // Closed loop, the generator runs in the flow's first island, beside the grouping in front of the compute
        // stage: an async boundary here costs one actor message per observation (measured: ~90 B and ~10% of
        // the rate). After the warm-up it is enumerated in the same stage (SelectMany), not through a substream,
        // which hands over each element through an async callback (measured: ~100 B/obs).
        // Open loop, the generator sleeps until observations are due, so it has a thread of its own, and hands
        // over a burst (every observation due when it wakes) per element: one actor message per burst.
        var warmUpDone = warm == 0 ? Task.FromResult(true) : warmedUp.Task;
        if (warm == 0) Measure();
        else warmClock.Start();
        void Counted(Prediction _)
        {
            long count = Interlocked.Increment(ref received);
            OnReceived(count);
            if (count == total)
            {
                finished = clock.Elapsed;
                allDone.TrySetResult();
            }
        }

        Source<Observation, Akka.NotUsed> observations;
        if (rate is { } r)
        {
            var main = Source.FromEnumerator(() => workload.OpenLoop(r, warmUpDone).GetEnumerator())
                .WithAttributes(ActorAttributes.CreateDispatcher("akka.stream.default-blocking-io-dispatcher")).Async()
                .SelectMany(burst => burst);
            observations = warm == 0 ? main : Source.From(workload.WarmUp()).Concat(main);
        }
        else
        {
            var main = Source.FromTask(warmUpDone).SelectMany(_ => workload.ClosedLoop());
            observations = warm == 0 ? main : Source.FromEnumerator(() => workload.WarmUp().GetEnumerator()).Concat(main);
        }

        if (limit is { } l) observations = observations.TakeWithin(l);
        // The source stays open (Source.Maybe) after the last observation so every sequence is still live
        // when memory is measured; it is completed right after.
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var ((hold, metrics), done) = observations
            .ConcatMaterialized(Source.Maybe<Observation>(), Keep.Right)
            .ViaMaterialized(LstmStream.Create(system, model, settings), Keep.Both)
            .ToMaterialized(Sink.ForEach<Prediction>(Counted), Keep.Both)
            .Run(system.Materializer());
        running = metrics;

        var reporter = new Running.Progress(progress, rate is null ? "e2e closed loop" : "e2e open loop", carriageReturn: !Console.IsErrorRedirected);
        reporter.Start(() => (metrics.Emitted, metrics.MeanBatchSize, metrics.LiveSequences));
        // With a time limit the source may stop early: then the count in flight decides the end.
        int peakLive = 0;
        while (!allDone.Task.Wait(50))
        {
            peakLive = Math.Max(peakLive, metrics.LiveSequences);
            if (limit is { } cap && clock.Elapsed > cap && metrics.InFlight == 0 && metrics.Emitted == metrics.Admitted)
            {
                finished = clock.Elapsed;
                break;
            }
        }

        reporter.Stop();
        long emitted = metrics.Emitted - warm;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var gcPause = GC.GetTotalPauseDuration() - pauseBefore;
        int[] collections = [GC.CollectionCount(0) - collectionsBefore[0], GC.CollectionCount(1) - collectionsBefore[1], GC.CollectionCount(2) - collectionsBefore[2]];
        int live = metrics.LiveSequences;
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true); // every sequence still live: the stream is held open
        double peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        hold.TrySetResult(null);
        done.Wait(TimeSpan.FromSeconds(30));

        return new EndToEndResult
        {
            Mode = rate is { } open ? $"open loop at {open:N0}/s" : "closed loop",
            Sequences = workload.Ids.Length,
            Observations = emitted,
            ObsPerSecond = emitted / Math.Max(finished.TotalSeconds, 1e-9),
            LatencyP50Ms = metrics.LatencyQuantile(0.5).TotalMilliseconds,
            LatencyP99Ms = metrics.LatencyQuantile(0.99).TotalMilliseconds,
            LatencyP999Ms = metrics.LatencyQuantile(0.999).TotalMilliseconds,
            BatchMean = metrics.MeanBatchSize,
            BatchP50 = metrics.BatchSizeQuantile(0.5),
            BatchP99 = metrics.BatchSizeQuantile(0.99),
            AllocBytesPerObs = (double)allocated / Math.Max(1, emitted),
            GcCollections = collections,
            PeakWorkingSetMb = peakMb,
            BytesPerSequence = live == 0 ? 0 : (double)(memoryAfter - memoryBefore) / live,
            StateBytesPerSequence = model.StateBytesPerSequence,
            Histogram = metrics.LatencyHistogram(),
            Kernel = settings.Kernel.ToString().ToLowerInvariant(),
            WarmUp = warmUpTime,
            GcPause = gcPause,
            Active = workload.Active,
            PeakLiveSequences = Math.Max(peakLive, live),
            Store = settings.Persistence.Store.ToString(),
            StoreFigures = settings.Persistence.Store.Kind == Persistence.StoreKind.None ? null : metrics.Store,
            IdleTimeout = settings.IdleTimeout,
        };
    }
}
