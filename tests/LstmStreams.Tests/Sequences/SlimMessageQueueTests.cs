using Akka.Actor;
using LstmStreams.Sequences;

namespace LstmStreams.Tests.Sequences;

public sealed class SlimMessageQueueTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void SlimMessageQueue_agrees_with_a_queue_under_random_enqueues_and_dequeues(int seed)
    {
        var random = new Random(seed);
        var queue = new SlimMessageQueue();
        var expected = new Queue<object>();
        for (int op = 0; op < 20_000; op++)
        {
            // Mostly 0-2 messages waiting, with bursts that fill the overflow queue and drain it again.
            if (random.Next(3) < (expected.Count < 3 ? 2 : 1))
            {
                var message = new object();
                queue.Enqueue(ActorRefs.Nobody, new Envelope(message, ActorRefs.NoSender));
                expected.Enqueue(message);
            }
            else
            {
                Assert.Equal(expected.Count > 0, queue.TryDequeue(out var envelope));
                if (expected.Count > 0) Assert.Same(expected.Dequeue(), envelope.Message);
            }

            Assert.Equal(expected.Count, queue.Count);
            Assert.Equal(expected.Count > 0, queue.HasMessages);
        }
    }

    [Fact]
    public void SlimMessageQueue_keeps_each_senders_order_with_concurrent_senders()
    {
        const int senders = 4, each = 50_000;
        var queue = new SlimMessageQueue();
        var next = new int[senders];
        int taken = 0;
        var producers = Enumerable.Range(0, senders).Select(s => new Thread(() =>
        {
            for (int i = 0; i < each; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope((s, i), ActorRefs.NoSender));
        })).ToArray();
        foreach (var producer in producers) producer.Start();

        while (taken < senders * each)
        {
            if (!queue.TryDequeue(out var envelope))
            {
                Thread.Yield();
                continue;
            }

            var (sender, index) = ((int, int))envelope.Message;
            Assert.Equal(next[sender]++, index);
            taken++;
        }

        foreach (var producer in producers) producer.Join();
        Assert.False(queue.HasMessages);
        Assert.All(next, count => Assert.Equal(each, count));
    }
}
