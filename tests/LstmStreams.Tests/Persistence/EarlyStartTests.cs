using Akka.Actor;
using LstmStreams.Persistence;
using PersistenceSettings = LstmStreams.Persistence.PersistenceSettings;

namespace LstmStreams.Tests.Persistence;

/// <summary><see cref="SnapshotStores.StartEarly"/>: the store and the scan of its ids start before any pipeline, and
/// a keeper started later uses that scan instead of starting its own.</summary>
public sealed class EarlyStartTests : Akka.TestKit.Xunit2.TestKit
{
    private static PersistenceSettings SqlSettings() => new()
    {
        Store = StoreLocation.Parse($"sqlite:{Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))}.db"),
    };

    [Fact]
    public void Store_started_early_has_its_ids_scanned_before_a_keeper_starts_and_the_keeper_scans_no_more()
    {
        var settings = SqlSettings();
        using var early = SnapshotStores.StartEarly(Sys, settings);
        var filter = StoredIds.Acquire(StoredIds.KeyFor(settings), out bool scan);
        try
        {
            Assert.False(scan); // the early start took the scan
            AwaitCondition(() => filter.IsScanned, TimeSpan.FromSeconds(30));

            var store = CreateTestProbe();
            var metrics = new StoreMetrics();
            var keeper = Sys.ActorOf(Props.Create(() => new SnapshotKeeper(store.Ref, settings, metrics)));
            keeper.Tell(new LoadSequence("new"));
            var loaded = ExpectMsg<SequenceLoaded>();
            Assert.Null(loaded.Snapshot);
            Assert.Equal(1, metrics.NeverStored);
            store.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // neither a scan nor a load
        }
        finally
        {
            filter.Release();
        }
    }

    [Fact]
    public void Store_started_early_gives_its_filter_back_when_disposed()
    {
        var settings = SqlSettings();
        var early = SnapshotStores.StartEarly(Sys, settings);
        var filter = StoredIds.Acquire(StoredIds.KeyFor(settings), out _);
        AwaitCondition(() => filter.IsScanned, TimeSpan.FromSeconds(30));
        filter.Release();
        early.Dispose();
        early.Dispose(); // once only

        var next = StoredIds.Acquire(StoredIds.KeyFor(settings), out bool scan);
        next.Release();
        Assert.True(scan); // the last user dropped it: the next pipeline scans afresh
        Assert.NotSame(filter, next);
    }

    [Fact]
    public void Nothing_starts_early_without_a_store()
    {
        using var early = SnapshotStores.StartEarly(Sys, new PersistenceSettings { Store = StoreLocation.Parse("none") });
        Assert.False(Sys.Settings.Config.HasPath("lstm-streams.stores")); // no plugin configured, none started
    }
}
