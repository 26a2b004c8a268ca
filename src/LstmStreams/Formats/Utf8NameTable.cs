using System.Text;

namespace LstmStreams.Formats;

/// <summary>
/// A fixed set of names found by their UTF-8 bytes without decoding them: the named features of an input
/// record, looked up once per field of every line. Open addressing over a power-of-two table.
/// </summary>
internal sealed class Utf8NameTable
{
    private readonly byte[][] _names;
    private readonly int[] _slots; // index + 1 into _names; 0 = empty
    private readonly int _mask;

    public Utf8NameTable(IReadOnlyList<string> names)
    {
        _names = new byte[names.Count][];
        _slots = new int[Math.Max(8, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)names.Count * 4))];
        _mask = _slots.Length - 1;
        for (int i = 0; i < names.Count; i++)
        {
            _names[i] = Encoding.UTF8.GetBytes(names[i]);
            int slot = Hash(_names[i]) & _mask;
            while (_slots[slot] != 0) slot = (slot + 1) & _mask;
            _slots[slot] = i + 1;
        }
    }

    /// <summary>The names' count.</summary>
    public int Count => _names.Length;

    /// <summary>The index of <paramref name="utf8"/> among the names, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> utf8)
    {
        int slot = Hash(utf8) & _mask;
        for (int entry; (entry = _slots[slot]) != 0; slot = (slot + 1) & _mask)
        {
            if (utf8.SequenceEqual(_names[entry - 1])) return entry - 1;
        }

        return -1;
    }

    /// <summary>A cheap hash of a short UTF-8 key (FNV-1a): the tables are private, and a key is a few bytes.</summary>
    internal static int Hash(ReadOnlySpan<byte> utf8)
    {
        uint hash = 2166136261;
        foreach (byte b in utf8) hash = (hash ^ b) * 16777619;
        return (int)(hash ^ (hash >> 15));
    }
}
