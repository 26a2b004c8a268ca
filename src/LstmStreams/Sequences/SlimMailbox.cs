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
    // The oldest message, null when none waits (Akka never sends a null message), and its sender; two fields
    // rather than an Envelope and a count, so that HasMessages reads one field without the lock.
    private object? _message;
    private IActorRef? _sender;
    private Queue<Envelope>? _rest; // the ones after it, oldest first

    /// <inheritdoc />
    public bool HasMessages => Volatile.Read(ref _message) is not null;

    /// <inheritdoc />
    public int Count
    {
        get
        {
            lock (this) return _message is null ? 0 : 1 + (_rest?.Count ?? 0);
        }
    }

    /// <inheritdoc />
    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        Debug.Assert(envelope.Message is not null, "Akka does not send null messages");
        // Locks itself: a lock object of its own would cost another ~24 bytes per actor.
        lock (this)
        {
            if (_message is null)
            {
                _sender = envelope.Sender;
                Volatile.Write(ref _message, envelope.Message);
            }
            else
            {
                (_rest ??= new Queue<Envelope>()).Enqueue(envelope);
            }
        }
    }

    /// <inheritdoc />
    public bool TryDequeue(out Envelope envelope)
    {
        lock (this)
        {
            if (_message is null)
            {
                envelope = default;
                return false;
            }

            envelope = new Envelope(_message, _sender!);
            if (_rest is { } rest)
            {
                var next = rest.Dequeue();
                _sender = next.Sender;
                _message = next.Message;
                if (rest.Count == 0) _rest = null;
            }
            else
            {
                _sender = null;
                Volatile.Write(ref _message, null);
            }

            return true;
        }
    }

    /// <inheritdoc />
    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
    }
}
