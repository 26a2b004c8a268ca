using LstmStreams.Cluster.Ingest;
using LstmStreams.Pipeline;

namespace LstmStreams.Tests.Cluster;

public sealed class ShardRoutesTests
{
    private readonly List<(int Shard, long Number, Observation[] Observations, bool Again)> _sent = new();
    private readonly DateTime _now = new(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc);

    private ShardRoutes Routes(int most = 3) => new(2, most, (shard, number, observations, again) => _sent.Add((shard, number, observations, again)));

    private static Observation O(long position) => new("s", [0f], position, position: position);

    [Fact]
    public void One_message_per_shard_is_in_flight_and_what_waits_goes_together_after_its_acknowledgement()
    {
        var routes = Routes();
        routes.Add(0, O(1));
        routes.SendReady(paused: false, _now);
        routes.Add(0, O(2));
        routes.Add(0, O(3));
        routes.SendReady(paused: false, _now);
        Assert.Single(_sent);

        routes.Acknowledged(0, _sent[0].Number);
        routes.SendReady(paused: false, _now);
        Assert.Equal(2, _sent.Count);
        Assert.Equal([2L, 3L], _sent[1].Observations.Select(o => o.Position));
        Assert.False(_sent[1].Again);
    }

    [Fact]
    public void A_refused_or_overdue_message_is_sent_again_whole_and_a_stale_acknowledgement_is_ignored()
    {
        var routes = Routes();
        routes.Add(1, O(1));
        routes.Add(1, O(2));
        routes.SendReady(paused: false, _now);
        long first = _sent[0].Number;

        routes.Refused(1, first, _now);
        Assert.Equal(2, _sent.Count);
        Assert.True(_sent[1].Again);
        Assert.Equal([1L, 2L], _sent[1].Observations.Select(o => o.Position));

        routes.Acknowledged(1, first); // the refused copy's number: the resent one is still in flight
        routes.ResendOverdue(_now + ShardRoutes.AckTimeout + TimeSpan.FromSeconds(1));
        Assert.Equal(3, _sent.Count);
        Assert.Equal([1L, 2L], _sent[2].Observations.Select(o => o.Position));
    }

    [Fact]
    public void A_restart_sends_the_unreleased_first_marked_as_sent_before_then_what_waited()
    {
        var routes = Routes(most: 2);
        routes.Add(0, O(1));
        routes.SendReady(paused: false, _now);
        routes.Add(0, O(2));
        routes.Restart(0, [O(1)]);
        routes.SendReady(paused: true, _now);
        Assert.Single(_sent); // paused: nothing leaves
        routes.SendReady(paused: false, _now);
        Assert.Equal([1L, 2L], _sent[1].Observations.Select(o => o.Position));
        Assert.True(_sent[1].Again);
    }
}
