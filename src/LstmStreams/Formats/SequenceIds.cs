using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace LstmStreams.Formats;

/// <summary>
/// Turns sequence ids read as UTF-8 bytes into strings: one string per distinct id, not one per line. The
/// ids of a stream repeat (each sequence has many observations), so a line's id is found by its bytes and
/// its string reused. Memory stays bounded under churn (ids that come once and never again): the table holds
/// two generations of at most <c>capacity</c> ids; when the current one is full it becomes the previous
/// one, and ids still in use are carried over when next seen. Not thread-safe: one per source.
/// </summary>
internal sealed class SequenceIds
{
    /// <summary>Longer ids are decoded each time rather than kept.</summary>
    public const int MaxInternedLength = 256;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly int _capacity;
    private Generation _current, _previous;

    public SequenceIds(int capacity = 1 << 18)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _current = new Generation(capacity);
        _previous = new Generation(1);
    }

    /// <summary>The id's string, or null when the bytes are not valid UTF-8 (the caller reports the line).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public string? Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxInternedLength) return Utf8.IsValid(utf8) ? Strict.GetString(utf8) : null;
        int hash = Utf8NameTable.Hash(utf8);
        if (_current.Find(utf8, hash) is { } found) return found;
        string? id = _previous.Find(utf8, hash);
        if (id is null)
        {
            if (!Utf8.IsValid(utf8)) return null;
            id = Strict.GetString(utf8);
        }

        if (_current.Count >= _capacity)
        {
            _previous = _current;
            _current = new Generation(_capacity);
        }

        _current.Add(utf8, id, hash);
        return id;
    }

    /// <summary>
    /// One generation: open addressing, grown by doubling (kept at most half full). Compact, because every line
    /// looks its id up and the lines' ids come in no order: a slot holds the hash and the entry's index in one
    /// <c>ulong</c> (a different hash costs no further read), the entries (id, where its bytes are) sit in one
    /// array, and the ids' bytes in one shared buffer. With an array per key and three arrays of slots, the lookup
    /// was ~18% of a parsing thread's time (10,000 ids, perf), most of it cache misses.
    /// </summary>
    private sealed class Generation(int capacity)
    {
        private ulong[] _slots = new ulong[Math.Min(1024, SizeFor(capacity))]; // (uint)hash << 32 | entry + 1; 0 = empty
        private Entry[] _entries = new Entry[Math.Min(512, capacity)];
        private byte[] _bytes = new byte[Math.Min(512, capacity) * 16];
        private int _used;

        public int Count { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public string? Find(ReadOnlySpan<byte> utf8, int hash)
        {
            var slots = _slots;
            int mask = slots.Length - 1;
            for (int slot = hash & mask; slots[slot] is var value and not 0; slot = (slot + 1) & mask)
            {
                if ((uint)(value >> 32) != (uint)hash) continue;
                ref readonly var entry = ref _entries[(int)(uint)value - 1];
                if (utf8.SequenceEqual(_bytes.AsSpan(entry.Start, entry.Length))) return entry.Id;
            }

            return null;
        }

        public void Add(ReadOnlySpan<byte> key, string id, int hash)
        {
            if ((Count + 1) * 2 > _slots.Length) Grow();
            if (Count == _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
            if (_used + key.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + key.Length));
            key.CopyTo(_bytes.AsSpan(_used));
            _entries[Count] = new Entry(id, _used, key.Length);
            _used += key.Length;
            Place(_slots, (ulong)(uint)hash << 32 | (uint)(Count + 1));
            Count++;
        }

        private static void Place(ulong[] slots, ulong value)
        {
            int mask = slots.Length - 1, slot = (int)(value >> 32) & mask;
            while (slots[slot] != 0) slot = (slot + 1) & mask;
            slots[slot] = value;
        }

        private void Grow()
        {
            var old = _slots;
            _slots = new ulong[old.Length * 2];
            foreach (ulong value in old)
            {
                if (value != 0) Place(_slots, value);
            }
        }

        private static int SizeFor(int capacity) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity * 2));

        private readonly record struct Entry(string Id, int Start, int Length);
    }
}
