using System.Diagnostics;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// The chunks of one step, claimed by the calling thread from the front and by the worker from the back, so
/// that when one thread is late the other takes everything. One 64-bit word holds a step tag and the
/// unclaimed range [lo, hi): a successful claim (compare-and-swap on the whole word) proves the step is still
/// live, so a late worker can never run a chunk of a step that has moved on.
/// </summary>
internal sealed class WorkBoard
{
    private long _word; // lo: bits 0–15, hi: bits 16–31, tag: bits 48–63
    private int _done;

    /// <summary>Opens <paramref name="items"/> chunks (at most 65,535). The previous ones must be finished.</summary>
    public void Publish(int items)
    {
        Debug.Assert(items is > 0 and <= ushort.MaxValue);
        long tag = ((Volatile.Read(ref _word) >>> 48) + 1) & 0xFFFF;
        Volatile.Write(ref _done, 0);
        Interlocked.Exchange(ref _word, (tag << 48) | ((long)items << 16));
    }

    /// <summary>Whether an item is waiting to be claimed.</summary>
    public bool HasWork
    {
        get
        {
            long word = Volatile.Read(ref _word);
            return (word & 0xFFFF) < ((word >> 16) & 0xFFFF);
        }
    }

    /// <summary>Claims the lowest unclaimed item.</summary>
    public bool TakeFront(out int item) => Take(front: true, out item);

    /// <summary>Claims the highest unclaimed item.</summary>
    public bool TakeBack(out int item) => Take(front: false, out item);

    /// <summary>Marks one claimed item finished.</summary>
    public void Finish() => Interlocked.Increment(ref _done);

    /// <summary>Waits until all <paramref name="items"/> are finished (the other thread may still hold one).</summary>
    public void WaitFinished(int items)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _done) < items) spin.SpinOnce(sleep1Threshold: -1);
    }

    private bool Take(bool front, out int item)
    {
        while (true)
        {
            long word = Volatile.Read(ref _word);
            int lo = (int)(word & 0xFFFF), hi = (int)((word >> 16) & 0xFFFF);
            if (lo >= hi)
            {
                item = -1;
                return false;
            }

            item = front ? lo : hi - 1;
            long next = front ? word + 1 : word - (1L << 16);
            if (Interlocked.CompareExchange(ref _word, next, word) == word) return true;
        }
    }
}
