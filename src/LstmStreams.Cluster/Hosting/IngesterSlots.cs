using Akka.Actor;

namespace LstmStreams.Cluster.Hosting;

/// <summary>
/// The ingesters a node has heard from, numbered: an observation's position inside the node's engine is its slot
/// (high bits) and the ingester's own position (low <see cref="PositionBits"/> bits), so each answer finds its way
/// back without a map per observation. Shared by the node's shard entities and its <see cref="NodeHost"/>; thread-safe.
/// </summary>
internal sealed class IngesterSlots
{
    /// <summary>Bits of the ingester's own position: 2^40 (10^12) observations an ingester.</summary>
    public const int PositionBits = 40;

    private const long PositionMask = (1L << PositionBits) - 1;
    private readonly Dictionary<IActorRef, int> _slots = new();
    private readonly List<IActorRef> _ingesters = new();
    private readonly Lock _lock = new();

    /// <summary>The slot of an ingester, given one at its first use.</summary>
    public int SlotOf(IActorRef ingester)
    {
        lock (_lock)
        {
            if (_slots.TryGetValue(ingester, out int slot)) return slot;
            slot = _ingesters.Count;
            _ingesters.Add(ingester);
            _slots.Add(ingester, slot);
            return slot;
        }
    }

    /// <summary>The ingester of a slot.</summary>
    public IActorRef this[int slot]
    {
        get
        {
            lock (_lock) return _ingesters[slot];
        }
    }

    /// <summary>A position inside the engine.</summary>
    public static long Compose(int slot, long position)
    {
        if ((ulong)position > PositionMask)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"an ingester's positions must stay below 2^{PositionBits}.");
        return ((long)slot << PositionBits) | position;
    }

    /// <summary>The slot of an engine position.</summary>
    public static int SlotOfPosition(long position) => (int)(position >> PositionBits);

    /// <summary>The ingester's own position of an engine position.</summary>
    public static long IngesterPosition(long position) => position & PositionMask;
}
