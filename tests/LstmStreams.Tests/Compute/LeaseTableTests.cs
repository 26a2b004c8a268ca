using LstmStreams.Compute;
using LstmStreams.Sequences;
using Xunit;

namespace LstmStreams.Tests.Compute;

public sealed class LeaseTableTests
{
    [Theory]
    [InlineData(1, 700)]    // dense: ~70% of the first 1024 slots, long probe runs that wrap around
    [InlineData(2, 5000)]   // grows several times
    [InlineData(3, 60)]
    public void LeaseTable_agrees_with_a_dictionary_under_random_sets_and_removes(int seed, int ids)
    {
        var random = new Random(seed);
        var table = new LeaseTable();
        var expected = new Dictionary<string, SequenceState>(StringComparer.Ordinal);
        string[] names = Enumerable.Range(0, ids).Select(i => "seq-" + i).ToArray();
        for (int op = 0; op < 40 * ids; op++)
        {
            // A fresh string instance: lookups must compare ids by value, not by reference.
            string id = new string(names[random.Next(ids)].AsSpan());
            int choice = random.Next(10);
            if (choice < 4)
            {
                var state = new SequenceState(id, 2);
                table.Set(state);
                expected[id] = state;
            }
            else if (choice < 7)
            {
                Assert.Equal(expected.Remove(id), table.Remove(id));
            }
            else
            {
                int hash = LeaseTable.Hash(id);
                Assert.Same(expected.GetValueOrDefault(id), table.Find(id, hash));
                var candidate = table.Candidate(hash); // the prefetch guess: a state whose id has this hash
                if (expected.ContainsKey(id)) Assert.NotNull(candidate);
                if (candidate is not null) Assert.Equal(hash, LeaseTable.Hash(candidate.SequenceId));
            }

            Assert.Equal(expected.Count, table.Count);
        }

        foreach (var (id, state) in expected) Assert.Same(state, table.Find(id, LeaseTable.Hash(id)));
        Assert.Equal(expected.Values.OrderBy(s => s.SequenceId), table.States().OrderBy(s => s.SequenceId));
    }

    [Fact]
    public void LeaseTable_RemoveWhere_removes_exactly_the_matching_states()
    {
        var table = new LeaseTable();
        var states = Enumerable.Range(0, 2000).Select(i => new SequenceState("s" + i, 2)).ToList();
        foreach (var state in states) table.Set(state);

        table.RemoveWhere(state => int.Parse(state.SequenceId.AsSpan(1)) % 3 == 0);

        foreach (var state in states)
        {
            bool kept = int.Parse(state.SequenceId.AsSpan(1)) % 3 != 0;
            Assert.Equal(kept ? state : null, table.Find(state.SequenceId, LeaseTable.Hash(state.SequenceId)));
        }

        Assert.Equal(states.Count(s => int.Parse(s.SequenceId.AsSpan(1)) % 3 != 0), table.Count);
    }
}
