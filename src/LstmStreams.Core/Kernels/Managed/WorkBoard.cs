using System.Diagnostics;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// The items of one phase of a step (chunks of rows, or column blocks of one layer), claimed by the calling
/// thread from the front and by the worker from the back, so that when one thread is late the other takes
/// everything, and without contention each keeps the same half (its weights stay in its own L2). One 64-bit
/// word holds the phase (tag, kind, layer) and the unclaimed range [lo, hi): a successful claim
/// (compare-and-swap on the whole word) proves the phase is still live, so a late worker can never run an
/// item of a phase that has moved on.
/// </summary>
internal sealed class WorkBoard
{
    public const int Rows = 0, Blocks = 1;
    private long _word; // lo: bits 0–15, hi: 16–31, layer: 32–39, kind: 40, tag: 48–63
    private int _done;

    /// <summary>Opens a phase of <paramref name="items"/> items (at most 65,535). The previous phase must be finished.</summary>
    public void Publish(int kind, int layer, int items)
    {
        Debug.Assert(items is > 0 and <= ushort.MaxValue && layer is >= 0 and <= byte.MaxValue && kind is Rows or Blocks);
        long tag = ((Volatile.Read(ref _word) >>> 48) + 1) & 0xFFFF;
        Volatile.Write(ref _done, 0);
        Interlocked.Exchange(ref _word, (tag << 48) | ((long)kind << 40) | ((long)layer << 32) | ((long)items << 16));
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

    /// <summary>Claims the lowest unclaimed item of the live phase.</summary>
    public bool TakeFront(out int kind, out int layer, out int item) => Take(front: true, out kind, out layer, out item);

    /// <summary>Claims the highest unclaimed item of the live phase.</summary>
    public bool TakeBack(out int kind, out int layer, out int item) => Take(front: false, out kind, out layer, out item);

    /// <summary>Marks one claimed item finished.</summary>
    public void Finish() => Interlocked.Increment(ref _done);

    /// <summary>Waits until all <paramref name="items"/> of the phase are finished (the other thread may still hold one).</summary>
    public void WaitFinished(int items)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _done) < items) spin.SpinOnce(sleep1Threshold: -1);
    }

    private bool Take(bool front, out int kind, out int layer, out int item)
    {
        while (true)
        {
            long word = Volatile.Read(ref _word);
            int lo = (int)(word & 0xFFFF), hi = (int)((word >> 16) & 0xFFFF);
            kind = (int)((word >> 40) & 1);
            layer = (int)((word >> 32) & 0xFF);
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
