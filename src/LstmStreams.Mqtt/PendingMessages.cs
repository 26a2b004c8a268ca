using System.Diagnostics;
using MQTTnet;

namespace LstmStreams.Mqtt;

/// <summary>
/// The unacknowledged input messages of one connection, in arrival order, each owning a run of consecutive
/// positions; runs are added in increasing position order, so the message owning a position is found by binary
/// search (no entry per position, whatever a message carries). Removed from the front only. Not thread-safe:
/// <see cref="InputAcknowledgements"/> holds its lock around every call.
/// </summary>
internal sealed class PendingMessages
{
    private Pending[] _items = new Pending[64];
    private int _head, _count;

    /// <summary>Messages held.</summary>
    public int Count => _count;

    /// <summary>Messages held, read without the owner's lock (a moment's value: for the read gate's checks).</summary>
    public int VolatileCount => Volatile.Read(ref _count);

    /// <summary>The <paramref name="index"/>-th message from the oldest.</summary>
    public Pending this[int index]
    {
        get
        {
            Debug.Assert((uint)index < (uint)_count, "index within the held messages");
            return _items[(_head + index) & (_items.Length - 1)];
        }
    }

    /// <summary>Adds the newest message; its run starts after every held run.</summary>
    public void Add(Pending pending)
    {
        Debug.Assert(_count == 0 || this[_count - 1].LastPosition < pending.FirstPosition, "runs are added in increasing position order");
        if (_count == _items.Length) Grow();
        _items[(_head + _count) & (_items.Length - 1)] = pending;
        _count++;
    }

    /// <summary>Removes the oldest message.</summary>
    public void RemoveFirst()
    {
        Debug.Assert(_count > 0, "a message to remove");
        _items[_head] = null!;
        _head = (_head + 1) & (_items.Length - 1);
        _count--;
    }

    /// <summary>Removes every message.</summary>
    public void Clear()
    {
        Array.Clear(_items);
        _head = _count = 0;
    }

    /// <summary>The message whose run holds <paramref name="position"/>, or null.</summary>
    public Pending? Find(long position)
    {
        int low = 0, high = _count - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            var pending = this[middle];
            if (position < pending.FirstPosition) high = middle - 1;
            else if (position > pending.LastPosition) low = middle + 1;
            else return pending;
        }

        return null;
    }

    private void Grow()
    {
        var items = new Pending[_items.Length * 2];
        for (int i = 0; i < _count; i++) items[i] = this[i];
        _items = items;
        _head = 0;
    }
}

/// <summary>One unacknowledged input message and how many of its observations are not done yet.</summary>
internal sealed class Pending(long firstPosition, int count, MqttApplicationMessageReceivedEventArgs message)
{
    /// <summary>The position of its first observation.</summary>
    public long FirstPosition { get; } = firstPosition;

    /// <summary>The position of its last observation.</summary>
    public long LastPosition { get; } = firstPosition + count - 1;

    /// <summary>The message, to acknowledge once done.</summary>
    public MqttApplicationMessageReceivedEventArgs Message { get; } = message;

    /// <summary>Observations whose prediction is not yet at the broker (nor an error record).</summary>
    public int Remaining { get; set; } = count;

    /// <summary>Every observation is done (or the message was abandoned).</summary>
    public bool Done => Remaining == 0;

    /// <summary>Abandoned: not acknowledged, the broker redelivers it.</summary>
    public bool Skip { get; set; }
}
