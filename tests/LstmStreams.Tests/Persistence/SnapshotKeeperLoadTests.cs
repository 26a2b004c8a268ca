using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using LstmStreams.Core.Model;
using LstmStreams.Persistence;
using PersistenceSettings = LstmStreams.Persistence.PersistenceSettings;

namespace LstmStreams.Tests.Persistence;

/// <summary>How the keeper loads in front of an SQL store, with a probe in the store's place: many new ids in one
/// query, an id the store never held answered without one, a "maybe" always loaded.</summary>
public sealed class SnapshotKeeperLoadTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly ModelShape Shape = ModelShape.Of(TestModels.Random(input: 2, hidden: 3, layers: 1, output: 1));

    private static PersistenceSettings SqlSettings(bool idFilter = true) => new()
    {
        Store = StoreLocation.Parse($"sqlite:{Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))}.db"),
        IdFilter = idFilter,
    };

    private (IActorRef Keeper, TestProbe Store, StoreMetrics Metrics) StartKeeper(PersistenceSettings settings)
    {
        var store = CreateTestProbe();
        var metrics = new StoreMetrics();
        var keeper = Sys.ActorOf(Props.Create(() => new SnapshotKeeper(store.Ref, settings, metrics)));
        return (keeper, store, metrics);
    }

    /// <summary>The probe answers the keeper's scan as a store holding <paramref name="stored"/>.</summary>
    private static void AnswerScan(TestProbe store, params string[] stored)
    {
        var scan = store.ExpectMsg<ScanStoredIds>();
        Assert.Equal("seq:", scan.Prefix);
        foreach (string id in stored) scan.Into.Add(id);
        store.Reply(new StoredIdsScanned(stored.Length));
    }

    [Fact]
    public void Keeper_answers_an_id_the_store_never_held_without_a_query()
    {
        var (keeper, store, metrics) = StartKeeper(SqlSettings());
        AnswerScan(store, "seq:old");
        keeper.Tell(new Identify(null)); // the scan's answer is handled before what follows
        ExpectMsg<ActorIdentity>();

        keeper.Tell(new LoadSequence("new"));
        var loaded = ExpectMsg<SequenceLoaded>();
        Assert.Equal("new", loaded.SequenceId);
        Assert.Null(loaded.Snapshot);
        Assert.Null(loaded.Unreadable);
        store.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, metrics.NeverStored);
    }

    [Fact]
    public void Keeper_loads_an_id_the_filter_may_hold_and_restores_its_state()
    {
        var (keeper, store, metrics) = StartKeeper(SqlSettings());
        AnswerScan(store, "seq:old");
        keeper.Tell(new Identify(null));
        ExpectMsg<ActorIdentity>();

        keeper.Tell(new LoadSequence("old"));
        var load = store.ExpectMsg<LoadLatestSnapshots>();
        Assert.Equal(["seq:old"], load.PersistenceIds);
        var state = new SequenceSnapshot(Shape, [1f, 2f, 3f, 4f, 5f, 6f], 7, 70);
        store.Reply(new LatestSnapshotsLoaded([new StoredSnapshot(new SelectedSnapshot(new SnapshotMetadata("seq:old", 1, DateTime.UtcNow), state), null)]));

        var loaded = ExpectMsg<SequenceLoaded>();
        Assert.Equal("old", loaded.SequenceId);
        Assert.Equal(7, loaded.Snapshot!.Count);
        Assert.Equal(state.Values, loaded.Snapshot.Values);
        Assert.Equal(0, metrics.NeverStored);
        Assert.Equal(1, metrics.Restored);
    }

    [Fact]
    public void Keeper_loads_every_id_from_the_store_until_the_scan_has_answered()
    {
        var (keeper, store, _) = StartKeeper(SqlSettings());
        store.ExpectMsg<ScanStoredIds>(); // not answered: the store's ids are not known yet

        keeper.Tell(new LoadSequence("unknown"));
        Assert.Equal(["seq:unknown"], store.ExpectMsg<LoadLatestSnapshots>().PersistenceIds);
        store.Reply(new LatestSnapshotsLoaded([default]));
        Assert.Null(ExpectMsg<SequenceLoaded>().Snapshot);
    }

    [Fact]
    public void Keeper_sends_the_loads_waiting_behind_running_queries_as_one_query()
    {
        var (keeper, store, _) = StartKeeper(SqlSettings(idFilter: false));
        store.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // no scan without the filter

        keeper.Tell(new LoadSequence("a"));
        keeper.Tell(new LoadSequence("b"));
        var first = store.ExpectMsg<LoadLatestSnapshots>();
        var firstSender = store.LastSender;
        var second = store.ExpectMsg<LoadLatestSnapshots>(); // two queries may run at once
        var secondSender = store.LastSender;
        for (int i = 0; i < 100; i++) keeper.Tell(new LoadSequence("s" + i)); // wait behind them
        store.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        firstSender.Tell(new LatestSnapshotsLoaded([default]));
        var third = store.ExpectMsg<LoadLatestSnapshots>();
        Assert.Equal(100, third.PersistenceIds.Count);
        Assert.Equal("seq:s0", third.PersistenceIds[0]);
        Assert.Equal("seq:s99", third.PersistenceIds[99]);
        secondSender.Tell(new LatestSnapshotsLoaded([default]));
        store.Reply(new LatestSnapshotsLoaded(Enumerable.Repeat(default(StoredSnapshot), 100).ToList()));
        var answered = Enumerable.Range(0, 102).Select(_ => ExpectMsg<SequenceLoaded>().SequenceId).ToHashSet();
        Assert.Equal(102, answered.Count);
        Assert.Equal(["a", "b"], new[] { first.PersistenceIds[0][4..], second.PersistenceIds[0][4..] });
    }

    [Fact]
    public void Keeper_reports_an_unreadable_row_for_its_sequence_only_and_retries_a_failed_query()
    {
        var (keeper, store, metrics) = StartKeeper(SqlSettings(idFilter: false) with { RetryMinBackoff = TimeSpan.FromMilliseconds(20), RetryMaxBackoff = TimeSpan.FromMilliseconds(40) });
        keeper.Tell(new LoadSequence("a"));
        keeper.Tell(new LoadSequence("b"));
        keeper.Tell(new LoadSequence("c")); // waits: two queries run
        store.ExpectMsg<LoadLatestSnapshots>();
        var failing = store.LastSender;
        store.ExpectMsg<LoadLatestSnapshots>();
        failing.Tell(new Status.Failure(new InvalidOperationException("database is locked"))); // the keeper pauses
        AwaitCondition(() => metrics.Failures == 1); // before the other query's answer, which would start c's
        store.Reply(new LatestSnapshotsLoaded([default]));
        Assert.Equal("b", ExpectMsg<SequenceLoaded>().SequenceId);

        var retried = store.ExpectMsg<LoadLatestSnapshots>(); // after the backoff: c, then a again
        Assert.Equal(["seq:a", "seq:c"], retried.PersistenceIds.Order().ToList());
        store.Reply(new LatestSnapshotsLoaded(retried.PersistenceIds.Select(id => id == "seq:a"
            ? new StoredSnapshot(null, new System.Runtime.Serialization.SerializationException("unknown format 9"))
            : default).ToList()));

        var answers = new[] { ExpectMsg<SequenceLoaded>(), ExpectMsg<SequenceLoaded>() }.ToDictionary(l => l.SequenceId);
        Assert.Contains("unknown format 9", answers["a"].Unreadable);
        Assert.Null(answers["c"].Unreadable);
        Assert.Null(answers["c"].Snapshot);
        Assert.Equal(1, metrics.Failures);
    }

    [Fact]
    public void Keeper_adds_an_id_to_the_filter_before_writing_it_so_a_successor_loads_it()
    {
        var (keeper, store, _) = StartKeeper(SqlSettings());
        AnswerScan(store);
        var state = new SequenceSnapshot(Shape, new float[6], 1, null);
        keeper.Tell(new SaveSequence("fresh", state));
        var save = store.ExpectMsg<SaveSnapshot>();
        store.Reply(new SaveSnapshotSuccess(save.Metadata));

        keeper.Tell(new LoadSequence("fresh")); // written and acknowledged: only the store has it now
        Assert.Equal(["seq:fresh"], store.ExpectMsg<LoadLatestSnapshots>().PersistenceIds);
    }
}
