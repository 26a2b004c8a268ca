using LstmStreams.Persistence;

namespace LstmStreams.Tests.Persistence;

/// <summary>The filter of stored ids: a "no" must be exact, whatever its size; before the scan it says "maybe".</summary>
public sealed class StoredIdsTests
{
    [Fact]
    public void StoredIds_says_maybe_for_every_id_until_the_scan_is_complete()
    {
        var ids = new StoredIds();
        Assert.True(ids.MayContain("seq:never-written"));
        ids.MarkScanned();
        Assert.False(ids.MayContain("seq:never-written"));
    }

    [Fact]
    public void StoredIds_never_says_no_for_an_added_id_even_far_beyond_its_first_capacity()
    {
        var ids = new StoredIds();
        ids.MarkScanned();
        const int added = 300_000; // the first layer holds 65,536: this grows it twice
        for (int i = 0; i < added; i++) ids.Add("seq:device/" + i);

        for (int i = 0; i < added; i++) Assert.True(ids.MayContain("seq:device/" + i), $"seq:device/{i} was added");
        int falseMaybes = 0;
        for (int i = 0; i < 100_000; i++)
        {
            if (ids.MayContain("seq:session/" + i)) falseMaybes++;
        }

        Assert.True(falseMaybes < 5_000, $"{falseMaybes} of 100,000 never-added ids said maybe (expected about 1-3%)");
    }

    [Fact]
    public void StoredIds_is_shared_by_its_users_and_dropped_after_the_last()
    {
        string key = "test|" + Guid.NewGuid().ToString("N");
        var first = StoredIds.Acquire(key, out bool firstScans);
        var second = StoredIds.Acquire(key, out bool secondScans);
        Assert.Same(first, second);
        Assert.True(firstScans);
        Assert.False(secondScans);
        first.Release();
        second.Release();

        var third = StoredIds.Acquire(key, out bool thirdScans);
        Assert.NotSame(first, third);
        Assert.True(thirdScans); // the store may have been written by another process meanwhile: read it again
        third.Release();
    }
}
