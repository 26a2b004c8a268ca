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

        _current.Add(utf8.ToArray(), id, hash);
        return id;
    }

    /// <summary>One generation: open addressing, grown by doubling (kept at most half full).</summary>
    private sealed class Generation(int capacity)
    {
        private int[] _hashes = new int[Math.Min(1024, SizeFor(capacity))];
        private byte[]?[] _keys = new byte[Math.Min(1024, SizeFor(capacity))][];
        private string?[] _ids = new string[Math.Min(1024, SizeFor(capacity))];

        public int Count { get; private set; }

        public string? Find(ReadOnlySpan<byte> utf8, int hash)
        {
            int mask = _keys.Length - 1;
            for (int slot = hash & mask; _keys[slot] is { } key; slot = (slot + 1) & mask)
            {
                if (_hashes[slot] == hash && utf8.SequenceEqual(key)) return _ids[slot];
            }

            return null;
        }

        public void Add(byte[] key, string id, int hash)
        {
            if ((Count + 1) * 2 > _keys.Length) Grow();
            Place(key, id, hash);
            Count++;
        }

        private void Place(byte[] key, string id, int hash)
        {
            int mask = _keys.Length - 1, slot = hash & mask;
            while (_keys[slot] is not null) slot = (slot + 1) & mask;
            (_hashes[slot], _keys[slot], _ids[slot]) = (hash, key, id);
        }

        private void Grow()
        {
            var (hashes, keys, ids) = (_hashes, _keys, _ids);
            int size = keys.Length * 2;
            (_hashes, _keys, _ids) = (new int[size], new byte[size][], new string[size]);
            for (int i = 0; i < keys.Length; i++)
            {
                if (keys[i] is { } key) Place(key, ids[i]!, hashes[i]);
            }
        }

        private static int SizeFor(int capacity) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity * 2));
    }
}
