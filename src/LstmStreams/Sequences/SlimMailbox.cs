using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace LstmStreams.Sequences;

/// <summary>
/// The mailbox of sequence actors: a plain queue under a lock, empty until used. Akka's default unbounded
/// mailbox starts with a 32-slot concurrent segment (~0.8 KB per actor); with 100,000+ sequence actors that
/// hold at most a message or two at a time, that segment was a third of the memory per sequence (measured
/// with <c>bench e2e</c>). Sequence actors are only ever sent a few messages at once: the region is their
/// one busy sender and runs them inline.
/// </summary>
public sealed class SlimMailboxType : MailboxType, IProducesMessageQueue<SlimMessageQueue>
{
    /// <summary>Created by Akka from the mailbox's config section.</summary>
    public SlimMailboxType(Akka.Actor.Settings settings, Config config) : base(settings, config)
    {
    }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new SlimMessageQueue();
}

/// <summary>The queue of <see cref="SlimMailboxType"/>: FIFO, unbounded, thread-safe.</summary>
public sealed class SlimMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    private readonly Queue<Envelope> _queue = new();

    /// <inheritdoc />
    public bool HasMessages
    {
        get
        {
            lock (_queue) return _queue.Count > 0;
        }
    }

    /// <inheritdoc />
    public int Count
    {
        get
        {
            lock (_queue) return _queue.Count;
        }
    }

    /// <inheritdoc />
    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (_queue) _queue.Enqueue(envelope);
    }

    /// <inheritdoc />
    public bool TryDequeue(out Envelope envelope)
    {
        lock (_queue) return _queue.TryDequeue(out envelope);
    }

    /// <inheritdoc />
    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
    }
}
