using Akka.Streams.Dsl;
using LstmStreams.Persistence;
using LstmStreams.Pipeline;
using LstmStreams.Settings;
using LstmStreams.Tests.Persistence;

namespace LstmStreams.Tests.Pipeline;

/// <summary>Sequences that come and go: passivated actors are given new ids; nothing of a former sequence may
/// leak into a new one, and with a store every state comes back.</summary>
public sealed class ChurnTests : PipelineSpec
{
    private static readonly StreamingSettings Churning = StreamingSettings.Default with
    {
        Kernel = Core.Kernels.KernelBackend.Managed,
        IdleTimeout = TimeSpan.FromMilliseconds(400),
    };

    /// <summary>Three waves of 150 sequences each, apart long enough for every sequence of a wave to passivate:
    /// the first two waves of new ids, the third the first wave's ids again.</summary>
    private static (List<Observation> First, List<Observation> Second, List<Observation> Third) Waves(int m)
    {
        var first = DurableStateContract.Interleaved(150, 4, m, seed: 21);
        var second = DurableStateContract.Interleaved(150, 4, m, seed: 22).Select(o => new Observation(o.SequenceId.Replace("sensor/", "session/", StringComparison.Ordinal), o.Features, o.T)).ToList();
        var third = DurableStateContract.Interleaved(150, 4, m, seed: 23).Select(o => new Observation(o.SequenceId, o.Features, o.T + 1000)).ToList();
        return (first, second, third);
    }

    private static Source<Observation, Akka.NotUsed> Paced(params List<Observation>[] waves)
    {
        // Concat materializes every part at the start, so each wave's delay counts from there.
        var source = Source.From(waves[0]);
        for (int i = 1; i < waves.Length; i++) source = source.Concat(Source.From(waves[i]).InitialDelay(TimeSpan.FromSeconds(2 * i)));
        return source;
    }

    private static Dictionary<(string, long), float[]> ByKey(IEnumerable<Prediction> predictions) =>
        predictions.ToDictionary(p => (p.SequenceId, p.T), p => p.Y);

    [Fact]
    public void Without_a_store_new_sequences_in_reused_actors_start_from_zeros()
    {
        var model = TestModels.Random(input: 3, hidden: 6, layers: 2, output: 2);
        var (first, second, third) = Waves(model.InputSize);
        // Each wave alone in a fresh pipeline: every sequence starts from zeros (store none forgets at passivation).
        var expected = ByKey(new[] { first, second, third }.SelectMany(wave => Run(model, Source.From(wave), Churning).Predictions));

        var (predictions, errors, metrics) = Run(model, Paced(first, second, third), Churning);
        Assert.Empty(errors);
        Assert.Equal(first.Count + second.Count + third.Count, predictions.Count);
        foreach (var p in predictions) Assert.Equal(expected[(p.SequenceId, p.T)], p.Y);
        Assert.True(metrics.LiveSequences <= 150, $"{metrics.LiveSequences} live: the waves should have passivated");
    }

    [Fact]
    public void With_a_store_sequences_that_return_to_reused_actors_resume_exactly()
    {
        var model = TestModels.Random(input: 3, hidden: 6, layers: 2, output: 2);
        var (first, second, third) = Waves(model.InputSize);
        var expected = ByKey(Run(model, Source.From(first.Concat(second).Concat(third)), Churning with { Passivation = PassivationMode.Never }).Predictions);
        string path = Path.Combine(Path.GetTempPath(), "lstm-streams-tests", Guid.NewGuid().ToString("N") + ".db");
        var settings = Churning with { Persistence = new PersistenceSettings { Store = StoreLocation.Parse("sqlite:" + path) } };

        var (predictions, errors, metrics) = Run(model, Paced(first, second, third), settings);
        Assert.Empty(errors);
        foreach (var p in predictions) Assert.Equal(expected[(p.SequenceId, p.T)], p.Y);
        Assert.True(metrics.Store.Restored >= 150, $"{metrics.Store.Restored} restored: the third wave resumes the first wave's 150 states, written at passivation");
    }
}
