using Akka.Streams.Dsl;
using LstmStreams.Core.Model;
using LstmStreams.Persistence;
using LstmStreams.Pipeline;
using LstmStreams.Settings;
using LstmStreams.Tests.Pipeline;

namespace LstmStreams.Tests.Persistence;

/// <summary>
/// The contract every store keeps, run against each one (SQLite, PostgreSQL, memory): a restart on the same
/// store continues every sequence exactly, replayed observations are dropped, passivation remembers, a state
/// of another model shape is refused, end deletes.
/// </summary>
public abstract class DurableStateContract : PipelineSpec
{
    /// <summary>A store no other test uses.</summary>
    protected abstract StoreLocation NewStore();

    protected StreamingSettings WithStore(StoreLocation store, int snapshotEvery = 1000) => StreamingSettings.Default with
    {
        Kernel = Core.Kernels.KernelBackend.Managed,
        Persistence = new PersistenceSettings { Store = store, SnapshotEvery = snapshotEvery, RetryMinBackoff = TimeSpan.FromMilliseconds(50), RetryMaxBackoff = TimeSpan.FromMilliseconds(500) },
    };

    internal static List<Observation> Interleaved(int sequences, int steps, int m, int seed, bool end = false)
    {
        var random = new Random(seed);
        var perSequence = Enumerable.Range(0, sequences).Select(s =>
            Enumerable.Range(0, steps).Select(step => new Observation($"sensor/{s}", TestModels.Features(random, m), 100L + 10 * step, end: end && step == steps - 1)).ToList()).ToList();
        var tickets = perSequence.SelectMany((list, s) => Enumerable.Repeat(s, list.Count)).OrderBy(_ => random.Next()).ToList();
        var cursors = new int[sequences];
        return tickets.Select(s => perSequence[s][cursors[s]++]).ToList();
    }

    private static Dictionary<(string, long), float[]> ByKey(IEnumerable<Prediction> predictions) =>
        predictions.ToDictionary(p => (p.SequenceId, p.T), p => p.Y);

    [Fact]
    public void Restart_on_the_same_store_continues_every_sequence_and_drops_the_replayed_half()
    {
        var model = TestModels.Random(input: 4, hidden: 8, layers: 2, output: 2);
        var input = Interleaved(300, 8, model.InputSize, seed: 11);
        var uninterrupted = ByKey(Run(model, Source.From(input), WithStore(StoreLocation.None)).Predictions);
        var store = NewStore();

        int half = input.Count / 2;
        var (first, firstErrors, _) = Run(model, Source.From(input.Take(half)), WithStore(store));
        Assert.Empty(firstErrors);
        // "Restart": a new pipeline on the same store, the whole input replayed (an at-least-once source).
        var (second, secondErrors, metrics) = Run(model, Source.From(input), WithStore(store));

        Assert.Equal(half, secondErrors.Count);
        Assert.All(secondErrors, e => Assert.Equal(ObservationErrorKind.Duplicate, e.Kind));
        Assert.All(secondErrors, e => Assert.StartsWith("duplicate", e.Reason));
        Assert.Equal(half, metrics.Duplicates);
        Assert.Equal(input.Count - half, second.Count);
        foreach (var p in first.Concat(second)) Assert.Equal(uninterrupted[(p.SequenceId, p.T)], p.Y); // same kernel ⇒ identical
        Assert.Equal(300, metrics.Store.Restored + (300 - input.Take(half).Select(o => o.SequenceId).Distinct().Count()));
    }

    [Fact]
    public void New_ids_after_a_restart_start_from_zeros_while_stored_ones_resume()
    {
        var model = TestModels.Random(input: 3, hidden: 5, layers: 1, output: 1);
        var store = NewStore();
        var (before, after) = RestartWithNewIds(model.InputSize);
        var expected = ByKey(Run(model, Source.From(before.Concat(after)), WithStore(StoreLocation.None)).Predictions);
        var (first, firstErrors, _) = Run(model, Source.From(before), WithStore(store));
        Assert.Empty(firstErrors);

        var (second, errors, metrics) = Run(model, Source.From(after), WithStore(store));
        Assert.Empty(errors);
        Assert.Equal(after.Count, second.Count);
        foreach (var p in first.Concat(second)) Assert.Equal(expected[(p.SequenceId, p.T)], p.Y);
        Assert.Equal(40 + 60, metrics.Store.Loads);
        Assert.Equal(40, metrics.Store.Restored);
    }

    /// <summary>40 sequences' first 3 steps, then their last 3 interleaved with 60 new sequences' 4 steps.</summary>
    internal static (List<Observation> Before, List<Observation> After) RestartWithNewIds(int m)
    {
        var old = Interleaved(40, 6, m, seed: 15);
        var fresh = Interleaved(60, 4, m, seed: 16).Select(o => new Observation(o.SequenceId.Replace("sensor/", "session/", StringComparison.Ordinal), o.Features, o.T)).ToList();
        var random = new Random(17);
        var after = old.Where(o => o.T >= 130).Concat(fresh).GroupBy(o => o.SequenceId).SelectMany(g => g.OrderBy(o => o.T).Select((o, i) => (o, i))).OrderBy(x => x.i).ThenBy(_ => random.Next()).Select(x => x.o).ToList();
        return (old.Where(o => o.T < 130).ToList(), after);
    }

    [Fact]
    public void Passivated_sequences_resume_exactly_where_they_were()
    {
        var model = TestModels.Random(input: 3, hidden: 6, layers: 1, output: 1, cell: CellKind.Gru);
        var input = Interleaved(200, 6, model.InputSize, seed: 12);
        var expected = ByKey(Run(model, Source.From(input), WithStore(StoreLocation.None)).Predictions);
        var settings = WithStore(NewStore()) with { IdleTimeout = TimeSpan.FromMilliseconds(100) };
        int half = input.Count / 2;
        // The same pipeline: a first wave, a pause long enough for every sequence to passivate, a second wave.
        var source = Source.From(input.Take(half)).Concat(Source.From(input.Skip(half)).InitialDelay(TimeSpan.FromSeconds(1.5)));
        var (predictions, errors, metrics) = Run(model, source, settings);

        Assert.Empty(errors);
        Assert.Equal(input.Count, predictions.Count);
        foreach (var p in predictions) Assert.Equal(expected[(p.SequenceId, p.T)], p.Y);
        Assert.True(metrics.Store.Restored >= 150, $"most sequences should have passivated and resumed, {metrics.Store.Restored} did");
    }

    [Fact]
    public void A_stored_state_of_another_model_shape_is_refused_and_kept()
    {
        var small = TestModels.Random(input: 3, hidden: 4, layers: 1, output: 1);
        var larger = TestModels.Random(input: 3, hidden: 5, layers: 1, output: 1, seed: 2);
        var store = NewStore();
        var input = Interleaved(20, 3, 3, seed: 13);
        Run(small, Source.From(input), WithStore(store));
        var later = input.Select(o => new Observation(o.SequenceId, o.Features, o.T + 1000)).ToList();

        var (refused, errors, _) = Run(larger, Source.From(later), WithStore(store));
        Assert.Empty(refused);
        Assert.Equal(later.Count, errors.Count);
        Assert.All(errors, e => Assert.Equal(ObservationErrorKind.Refused, e.Kind));
        Assert.All(errors, e => Assert.Contains("hidden [4]", e.Reason));
        Assert.All(errors, e => Assert.Contains("on-shape-mismatch = start-fresh", e.Reason));

        // The stored state was kept: the model that wrote it continues.
        var (continued, none, _) = Run(small, Source.From(later), WithStore(store));
        Assert.Empty(none);
        Assert.Equal(later.Count, continued.Count);

        // start-fresh: the larger model starts every sequence from zeros.
        var fresh = WithStore(store) with { Persistence = WithStore(store).Persistence with { OnShapeMismatch = ShapeMismatchPolicy.StartFresh } };
        var expected = ByKey(Run(larger, Source.From(later), WithStore(StoreLocation.None)).Predictions);
        var (restarted, noErrors, _) = Run(larger, Source.From(later), fresh);
        Assert.Empty(noErrors);
        foreach (var p in restarted) Assert.Equal(expected[(p.SequenceId, p.T)], p.Y);
    }

    [Fact]
    public void End_deletes_the_stored_state_and_the_sequence_starts_afresh()
    {
        var model = TestModels.Random(input: 3, hidden: 4, layers: 1, output: 1);
        var store = NewStore();
        var input = Interleaved(30, 4, 3, seed: 14, end: true);
        var (_, errors, metrics) = Run(model, Source.From(input), WithStore(store));
        Assert.Empty(errors);
        Assert.Equal(30, metrics.Store.Deleted);

        // Same observations again: nothing stored, so the same outputs (and no duplicates: end forgot t too).
        var (again, againErrors, againMetrics) = Run(model, Source.From(input), WithStore(store));
        Assert.Empty(againErrors);
        Assert.Equal(0, againMetrics.Store.Restored);
        var expected = ByKey(Run(model, Source.From(input), WithStore(StoreLocation.None)).Predictions);
        foreach (var p in again) Assert.Equal(expected[(p.SequenceId, p.T)], p.Y);
    }
}

public sealed class SqliteDurableStateTests : DurableStateContract, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "lstm-streams-tests", Guid.NewGuid().ToString("N"));

    protected override StoreLocation NewStore() => StoreLocation.Parse($"sqlite:{Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".db")}");

    [Fact]
    public void New_ids_are_answered_without_a_query_once_the_stored_ids_are_read()
    {
        var model = TestModels.Random(input: 3, hidden: 5, layers: 1, output: 1);
        var store = NewStore();
        var (before, after) = RestartWithNewIds(model.InputSize);
        Run(model, Source.From(before), WithStore(store));

        // The keeper reads the stored ids when it starts; the observations come once that is done.
        var (second, errors, metrics) = Run(model, Source.From(after).InitialDelay(TimeSpan.FromSeconds(1)), WithStore(store));
        Assert.Empty(errors);
        Assert.Equal(after.Count, second.Count);
        Assert.Equal(100, metrics.Store.Loads);
        Assert.Equal(40, metrics.Store.Restored);
        Assert.Equal(60, metrics.Store.NeverStored); // the 60 new sessions; the 40 stored ids were "maybe" and loaded
    }

    [Fact]
    public void With_the_id_filter_off_every_new_id_is_looked_up_and_stored_ones_resume()
    {
        var model = TestModels.Random(input: 3, hidden: 5, layers: 1, output: 1);
        var store = NewStore();
        var (before, after) = RestartWithNewIds(model.InputSize);
        var off = WithStore(store) with { Persistence = WithStore(store).Persistence with { IdFilter = false } };
        Run(model, Source.From(before), off);

        var (_, errors, metrics) = Run(model, Source.From(after).InitialDelay(TimeSpan.FromSeconds(0.5)), off);
        Assert.Empty(errors);
        Assert.Equal(40, metrics.Store.Restored);
        Assert.Equal(0, metrics.Store.NeverStored);
    }

    void IDisposable.Dispose()
    {
        Shutdown();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed class MemoryDurableStateTests : DurableStateContract
{
    protected override StoreLocation NewStore() => StoreLocation.Parse("memory");
}
