using LstmStreams.Pipeline;

namespace LstmStreams.Cluster.Ingest;

/// <summary>
/// An ingester's routing to each shard, one message in flight per shard: the next message leaves only once the
/// shard's entity has acknowledged the previous one (<see cref="RouteReceived"/>), and what arrives meanwhile waits and
/// goes together. Akka.Cluster.Sharding delivers at most once and keeps no order across a hand-off (a message already on
/// its way to the old node may arrive after a later one at the new node); with one message in flight per shard
/// there is no later one, and a message lost on the way (its entity handing off, its node dying) is sent again after
/// <see cref="AckTimeout"/> or at once when the entity refuses it. Copies that arrive twice are dropped by t.
/// </summary>
internal sealed class ShardRoutes
{
    /// <summary>How long a message may wait for its acknowledgement before it is sent again.</summary>
    public static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(3);

    private readonly int _most;
    private readonly Action<int, long, Observation[], bool> _send;
    private readonly List<Observation>[] _waiting;
    private readonly Outstanding?[] _outstanding;
    private readonly int[] _resentAhead; // per shard: how many of the first waiting observations were sent before
    private long _nextNumber = 1;

    /// <param name="shards">Number of shards.</param>
    /// <param name="most">The most observations in one message.</param>
    /// <param name="send">Sends (shard, message number, observations, whether they were sent before).</param>
    public ShardRoutes(int shards, int most, Action<int, long, Observation[], bool> send)
    {
        _most = most;
        _send = send;
        _waiting = Enumerable.Range(0, shards).Select(_ => new List<Observation>()).ToArray();
        _outstanding = new Outstanding?[shards];
        _resentAhead = new int[shards];
    }

    /// <summary>Observations waiting to be sent (not yet in a message).</summary>
    public int Waiting => _waiting.Sum(w => w.Count);

    /// <summary>Queues an observation for its shard.</summary>
    public void Add(int shard, Observation observation) => _waiting[shard].Add(observation);

    /// <summary>Sends the next message of every shard that has none in flight (unless <paramref name="paused"/>).</summary>
    public void SendReady(bool paused, DateTime now)
    {
        if (paused) return;
        for (int shard = 0; shard < _waiting.Length; shard++)
        {
            if (_outstanding[shard] is null && _waiting[shard].Count > 0) SendNext(shard, now);
        }
    }

    /// <summary>The shard's entity has the message: the next may leave.</summary>
    public void Acknowledged(int shard, long number)
    {
        if (_outstanding[shard] is { } sent && sent.Number == number) _outstanding[shard] = null;
    }

    /// <summary>The shard's entity is handing the shard over and did not take the message: send it again now (the
    /// regions hold it until the shard's next home is known).</summary>
    public void Refused(int shard, long number, DateTime now)
    {
        if (_outstanding[shard] is { } sent && sent.Number == number) Resend(shard, sent, now);
    }

    /// <summary>Sends again every message that has waited longer than <see cref="AckTimeout"/>.</summary>
    public void ResendOverdue(DateTime now)
    {
        for (int shard = 0; shard < _outstanding.Length; shard++)
        {
            if (_outstanding[shard] is { } sent && now - sent.At > AckTimeout) Resend(shard, sent, now);
        }
    }

    /// <summary>
    /// The shard's host was lost: <paramref name="unreleased"/> (what was sent to it and is in no durable snapshot, in
    /// order) goes first, ahead of what waits; the message in flight is forgotten (it is among them).
    /// </summary>
    public void Restart(int shard, List<Observation> unreleased)
    {
        _outstanding[shard] = null;
        unreleased.AddRange(_waiting[shard]);
        _resentAhead[shard] = unreleased.Count - _waiting[shard].Count;
        _waiting[shard] = unreleased;
    }

    private void SendNext(int shard, DateTime now)
    {
        var waiting = _waiting[shard];
        int count = Math.Min(_most, waiting.Count);
        var observations = waiting.GetRange(0, count).ToArray();
        waiting.RemoveRange(0, count);
        int again = _resentAhead[shard];
        _resentAhead[shard] = Math.Max(0, again - count);
        var sent = new Outstanding(_nextNumber++, observations, now);
        _outstanding[shard] = sent;
        _send(shard, sent.Number, observations, again > 0);
    }

    private void Resend(int shard, Outstanding sent, DateTime now)
    {
        var again = new Outstanding(_nextNumber++, sent.Observations, now);
        _outstanding[shard] = again;
        _send(shard, again.Number, again.Observations, true);
    }

    private sealed record Outstanding(long Number, Observation[] Observations, DateTime At);
}
