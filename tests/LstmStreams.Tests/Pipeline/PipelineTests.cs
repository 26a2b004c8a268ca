using Akka.Streams.Dsl;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Tests.Pipeline;

public sealed class PipelineTests : PipelineSpec
{
    private static List<Observation> Interleaved(int sequences, int maxSteps, int m, int seed, bool explicitT = false)
    {
        var random = new Random(seed);
        var perSequence = Enumerable.Range(0, sequences).Select(s =>
            Enumerable.Range(0, random.Next(1, maxSteps + 1))
                .Select(step => new Observation($"sensor/{s}", TestModels.Features(random, m), explicitT ? 1000L * s + step : null))
                .ToList()).ToList();
        // Random interleaving that keeps each sequence's own order.
        var tickets = perSequence.SelectMany((list, s) => Enumerable.Repeat(s, list.Count)).OrderBy(_ => random.Next()).ToList();
        var cursors = new int[sequences];
        return tickets.Select(s => perSequence[s][cursors[s]++]).ToList();
    }

    [Theory]
    [InlineData(Core.Kernels.KernelBackend.Reference)]
    [InlineData(Core.Kernels.KernelBackend.Managed)]
    public void Pipeline_outputs_equal_stepping_each_sequence_alone_for_10000_interleaved_sequences(Core.Kernels.KernelBackend kernel)
    {
        var model = TestModels.Random();
        var input = Interleaved(10_000, 5, model.InputSize, seed: 3);
        var expected = TestModels.SteppedAlone(model, input, kernel);
        var (predictions, errors, metrics) = Run(model, Source.From(input), StreamingSettings.Default with { Kernel = kernel });

        Assert.Empty(errors);
        Assert.Equal(input.Count, predictions.Count);
        var expectedBySequence = input.GroupBy(o => o.SequenceId).ToDictionary(g => g.Key, g => g.Select(o => expected[o]).ToList());
        foreach (var group in predictions.GroupBy(p => p.SequenceId))
        {
            var want = expectedBySequence[group.Key];
            var got = group.ToList();
            Assert.Equal(want.Count, got.Count);
            for (int i = 0; i < got.Count; i++)
            {
                Assert.Equal(i, got[i].T);
                Assert.Equal(want[i], got[i].Y); // same kernel ⇒ identical numbers
            }
        }

        Assert.True(metrics.MeanBatchSize > 1, $"batches should grow under load, mean was {metrics.MeanBatchSize}");
    }

    [Fact]
    public void Pipeline_keeps_per_sequence_order_and_emits_exactly_one_output_per_observation()
    {
        var model = TestModels.Random(input: 3, hidden: 4, layers: 1, output: 1);
        var input = Interleaved(50, 400, model.InputSize, seed: 5, explicitT: true); // few sequences, heavy interleaving
        var (predictions, errors, _) = Run(model, Source.From(input), StreamingSettings.Default with { Kernel = Core.Kernels.KernelBackend.Reference, MaxBatchSize = 16, MaxInFlight = 512 });

        Assert.Empty(errors);
        Assert.Equal(input.Count, predictions.Count);
        Assert.Equal(input.Count, predictions.Select(p => (p.SequenceId, p.T)).Distinct().Count()); // no duplicates
        foreach (var group in predictions.GroupBy(p => p.SequenceId))
        {
            var ts = group.Select(p => p.T).ToList();
            var sent = input.Where(o => o.SequenceId == group.Key).Select(o => o.T!.Value).ToList();
            Assert.Equal(sent, ts);
        }
    }

    [Fact]
    public void Backpressure_bounds_in_flight_when_the_sink_is_slow()
    {
        var model = TestModels.Random(input: 3, hidden: 4, layers: 1, output: 1);
        var input = Interleaved(200, 10, model.InputSize, seed: 9);
        long produced = 0, consumed = 0, worstGap = 0;
        var source = Source.From(input).Select(o =>
        {
            Interlocked.Increment(ref produced);
            return o;
        });
        var slowSink = Flow.Create<Prediction>().Select(p =>
        {
            Thread.Sleep(1);
            long gap = Interlocked.Read(ref produced) - Interlocked.Increment(ref consumed);
            if (gap > worstGap) worstGap = gap;
            return p;
        });
        const int maxInFlight = 32;
        var settings = StreamingSettings.Default with { Kernel = Core.Kernels.KernelBackend.Reference, MaxInFlight = maxInFlight, MaxBatchSize = 8 };
        var (predictions, _, metrics) = Run(model, source, settings, slowSink);

        Assert.Equal(input.Count, predictions.Count);
        Assert.InRange(metrics.MaxInFlightSeen, 1, maxInFlight);
        // Between source and sink: the in-flight bound, the stage's input buffer (≤ max-in-flight) and the
        // stream's own small buffers at the async boundaries.
        Assert.True(worstGap <= 2 * maxInFlight + 64, $"the source ran {worstGap} elements ahead of a slow sink");
    }

    [Fact]
    public void Reset_zeroes_the_state_before_the_observation()
    {
        var model = TestModels.Random();
        var random = new Random(1);
        var input = new List<Observation>
        {
            new("a", TestModels.Features(random, 4)),
            new("b", TestModels.Features(random, 4)),
            new("a", TestModels.Features(random, 4)),
            new("a", TestModels.Features(random, 4), reset: true),
            new("a", TestModels.Features(random, 4)),
        };
        var expected = TestModels.SteppedAlone(model, input);
        var fresh = TestModels.SteppedAlone(model, [new Observation("a", input[3].Features)]);
        var (predictions, _, _) = Run(model, Source.From(input));
        var a = predictions.Where(p => p.SequenceId == "a").ToList();
        Assert.Equal([0L, 1, 2, 3], a.Select(p => p.T)); // a reset does not restart the count
        Assert.Equal(fresh.Values.Single(), a[2].Y);
        Assert.Equal(expected[input[4]], a[3].Y);
    }

    [Fact]
    public void End_releases_the_state_after_the_output_and_the_next_observation_starts_fresh()
    {
        var model = TestModels.Random();
        var random = new Random(2);
        var input = new List<Observation>
        {
            new("a", TestModels.Features(random, 4)),
            new("a", TestModels.Features(random, 4), end: true),
            new("a", TestModels.Features(random, 4)),
        };
        var expected = TestModels.SteppedAlone(model, input);
        var fresh = TestModels.SteppedAlone(model, [new Observation("a", input[2].Features)]);
        var (predictions, _, _) = Run(model, Source.From(input));
        Assert.Equal([0L, 1, 0], predictions.Select(p => p.T));
        Assert.Equal(expected[input[1]], predictions[1].Y);
        Assert.Equal(fresh.Values.Single(), predictions[2].Y);
    }

    [Fact]
    public void Idle_sequences_are_passivated_and_forget_their_state()
    {
        var model = TestModels.Random();
        var random = new Random(3);
        var first = new Observation("a", TestModels.Features(random, 4));
        var later = new Observation("a", TestModels.Features(random, 4));
        var settings = StreamingSettings.Default with { Kernel = Core.Kernels.KernelBackend.Reference, IdleTimeout = TimeSpan.FromMilliseconds(100) };
        var source = Source.Single(first).Concat(Source.Single(later).InitialDelay(TimeSpan.FromMilliseconds(800)));
        var (predictions, _, metrics) = Run(model, source, settings);
        var fresh = TestModels.SteppedAlone(model, [new Observation("a", later.Features)]);
        Assert.Equal([0L, 0], predictions.Select(p => p.T));
        Assert.Equal(fresh.Values.Single(), predictions[1].Y);
    }

    [Fact]
    public void Never_passivation_keeps_the_state_across_a_pause()
    {
        var model = TestModels.Random();
        var random = new Random(3);
        var first = new Observation("a", TestModels.Features(random, 4));
        var later = new Observation("a", TestModels.Features(random, 4));
        var settings = StreamingSettings.Default with { Kernel = Core.Kernels.KernelBackend.Reference, Passivation = PassivationMode.Never };
        var source = Source.Single(first).Concat(Source.Single(later).InitialDelay(TimeSpan.FromMilliseconds(300)));
        var (predictions, _, _) = Run(model, source, settings);
        var expected = TestModels.SteppedAlone(model, [first, later]);
        Assert.Equal([0L, 1], predictions.Select(p => p.T));
        Assert.Equal(expected[later], predictions[1].Y);
    }

    [Fact]
    public void Bad_observations_become_error_records_and_lose_nothing_else()
    {
        var model = TestModels.Random();
        var random = new Random(4);
        var good1 = new Observation("a", TestModels.Features(random, 4), position: 1);
        var good2 = new Observation("a", TestModels.Features(random, 4), position: 7);
        var input = new List<Observation>
        {
            good1,
            new("a", [1f, 2f], position: 2),
            new("", TestModels.Features(random, 4), position: 3),
            new("a", [1f, float.NaN, 0f, 0f], position: 4),
            new("a", [1f, float.PositiveInfinity, 0f, 0f], position: 5),
            new("a", [1f, 3e38f, 0f, 0f], position: 6),
            good2,
        };
        var (predictions, errors, metrics) = Run(model, Source.From(input));
        var expected = TestModels.SteppedAlone(model, [good1, good2]);

        Assert.Equal([2L, 3, 4, 5, 6], errors.Select(e => e.Position));
        Assert.Contains("takes 4", errors[0].Reason);
        Assert.Null(errors[1].SequenceId);
        Assert.Contains("NaN", errors[2].Reason);
        Assert.Contains("Infinity", errors[3].Reason);
        Assert.Contains("max-abs-feature", errors[4].Reason);
        Assert.Equal("a", errors[0].SequenceId);
        Assert.Equal([0L, 1], predictions.Select(p => p.T)); // rejected lines do not count
        Assert.Equal(expected[good2], predictions[1].Y);
        Assert.Equal(5, metrics.Rejected);
    }

    [Fact]
    public void Completion_emits_every_admitted_observation_even_with_a_batch_delay()
    {
        var model = TestModels.Random(input: 3, hidden: 4, layers: 1, output: 1);
        var input = Interleaved(300, 3, model.InputSize, seed: 11);
        var settings = StreamingSettings.Default with { Kernel = Core.Kernels.KernelBackend.Reference, MaxBatchDelay = TimeSpan.FromMilliseconds(2) };
        var (predictions, _, metrics) = Run(model, Source.From(input), settings);
        Assert.Equal(input.Count, predictions.Count);
        Assert.Equal(0, metrics.InFlight);
        Assert.Equal(input.Count, metrics.Emitted);
    }
}
