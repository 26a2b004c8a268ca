using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace LstmStreams.Sequences;

/// <summary>
/// The mailbox of sequence actors: one message in a field, more in a queue made on demand, under a lock.
/// Akka's default unbounded mailbox starts with a 32-slot concurrent segment (~0.8 KB per actor); with
/// 100,000+ sequence actors that hold at most a message or two at a time, that segment was a third of the
/// memory per sequence (measured with <c>bench e2e</c>). Sequence actors are only ever sent a few messages at
/// once: the region is their one busy sender and runs them inline.
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

/// <summary>
/// The queue of <see cref="SlimMailboxType"/>: FIFO, unbounded, thread-safe (Enqueue may come from any
/// thread). The oldest message is held in a field; a queue is made only while more than one waits, and
/// dropped once they are taken: a sequence actor nearly always holds 0 or 1 message, and a
/// <c>Queue&lt;Envelope&gt;</c> with its array cost ~150 bytes per actor (measured by bytes/sequence).
/// </summary>
public sealed class SlimMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    private Envelope _first; // the oldest message while _count > 0
    private Queue<Envelope>? _rest; // the ones after it, oldest first
    private int _count;

    /// <inheritdoc />
    public bool HasMessages => Volatile.Read(ref _count) > 0;

    /// <inheritdoc />
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc />
    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        // Locks itself: a lock object of its own would cost another ~24 bytes per actor.
        lock (this)
        {
            if (_count == 0) _first = envelope;
            else (_rest ??= new Queue<Envelope>()).Enqueue(envelope);
            Volatile.Write(ref _count, _count + 1);
        }
    }

    /// <inheritdoc />
    public bool TryDequeue(out Envelope envelope)
    {
        lock (this)
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }

            envelope = _first;
            if (_rest is { } rest)
            {
                _first = rest.Dequeue();
                if (rest.Count == 0) _rest = null;
            }
            else
            {
                _first = default; // let the message be collected
            }

            Volatile.Write(ref _count, _count - 1);
            Debug.Assert((_count == 0) == (_rest is null && _first.Message is null), "the head is held exactly while a message waits");
            return true;
        }
    }

    /// <inheritdoc />
    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
    }
}
