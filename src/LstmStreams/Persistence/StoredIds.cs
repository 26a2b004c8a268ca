using System.Diagnostics;

namespace LstmStreams.Persistence;

/// <summary>
/// Which persistence ids a store may hold, so that the load of an id it has never held is answered without a
/// query (a new session, a new device). A Bloom filter: "no" is exact, "maybe" is checked against the store.
/// It is filled once from the store (<see cref="ScanStoredIds"/>, then <see cref="MarkScanned"/>) and with
/// every id written through this process before the write is sent, so no id the store holds is ever missing
/// from it — except one written by another process meanwhile (hence <c>persistence.id-filter = off</c> for a
/// store several processes write under one prefix). Deleting leaves the id in ("maybe": an exact load).
/// Until the scan has completed, every id is "maybe". Thread-safe: the keepers of all pipelines of this
/// process on one store and prefix share one (<see cref="Acquire"/>), so a pipeline started while another's
/// keeper still writes sees those ids too.
/// </summary>
internal sealed class StoredIds
{
    private const int BitsPerId = 10, Hashes = 7; // ~1% false "maybe" at capacity
    private const int FirstCapacity = 1 << 16;
    private static readonly Dictionary<string, StoredIds> Shared = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly List<ulong[]> _layers = new(); // each holds up to its capacity; the next is twice as large
    private readonly string _key;
    private int _count, _capacity, _users;
    private volatile bool _scanned;
    private bool _scanStarted;

    /// <summary>An empty filter (tests, or one not shared).</summary>
    internal StoredIds(string key = "")
    {
        _key = key;
        AddLayer(FirstCapacity);
    }

    /// <summary>Whether the store's ids have all been read in: only then is a "no" exact.</summary>
    public bool IsScanned => _scanned;

    /// <summary>Ids added (a scan's and the writes', counted again when written again).</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _count;
        }
    }

    /// <summary>
    /// The key of the filter for <paramref name="settings"/>' store and prefix. One filter per store and prefix: two
    /// keys for one store would only lose the sharing, one key for two stores would make a "no" wrong. The full path
    /// (a relative one depends on the working folder); the whole connection string (in memory only, never shown).
    /// </summary>
    public static string KeyFor(PersistenceSettings settings)
    {
        var store = settings.Store;
        string where = store.Kind == StoreKind.Sqlite ? Path.GetFullPath(store.Target) : store.Target;
        return store.Kind + "|" + where + "|" + settings.PersistenceIdPrefix;
    }

    /// <summary>The filter of the store and prefix named by <paramref name="key"/>, shared by every keeper that
    /// uses it; <paramref name="scan"/> is true for the first, which must scan the store (then
    /// <see cref="MarkScanned"/>). Give it back with <see cref="Release"/>: the last user drops it, so a later
    /// pipeline scans afresh (the store may have been written by another process in between).</summary>
    public static StoredIds Acquire(string key, out bool scan)
    {
        lock (Shared)
        {
            if (!Shared.TryGetValue(key, out var ids)) Shared.Add(key, ids = new StoredIds(key));
            ids._users++;
            scan = !ids._scanStarted;
            ids._scanStarted = true;
            return ids;
        }
    }

    /// <summary>One user fewer (a keeper stopped).</summary>
    public void Release()
    {
        lock (Shared)
        {
            if (--_users == 0) Shared.Remove(_key);
        }
    }

    /// <summary>The scan read every id of the store: a "no" is exact from now on.</summary>
    public void MarkScanned() => _scanned = true;

    /// <summary>The scan failed: let the next user scan again (meanwhile every id is "maybe").</summary>
    public void ScanFailed()
    {
        lock (Shared) _scanStarted = false;
    }

    /// <summary>Records <paramref name="persistenceId"/> (before its write is sent, or as the scan reads it).</summary>
    public void Add(string persistenceId)
    {
        var (h1, h2) = Hash(persistenceId);
        lock (_gate)
        {
            if (_count >= _capacity) AddLayer(_capacity * 2);
            _count++;
            var bits = _layers[^1];
            ulong mask = (ulong)bits.Length * 64 - 1;
            for (int i = 0; i < Hashes; i++)
            {
                ulong bit = (h1 + (ulong)i * h2) & mask;
                bits[bit >> 6] |= 1UL << (int)(bit & 63);
            }
        }
    }

    /// <summary>False only when the store has certainly never held <paramref name="persistenceId"/> (the scan is
    /// complete and no layer has it); true otherwise.</summary>
    public bool MayContain(string persistenceId)
    {
        if (!_scanned) return true;
        var (h1, h2) = Hash(persistenceId);
        lock (_gate)
        {
            foreach (var bits in _layers)
            {
                ulong mask = (ulong)bits.Length * 64 - 1;
                bool all = true;
                for (int i = 0; i < Hashes && all; i++)
                {
                    ulong bit = (h1 + (ulong)i * h2) & mask;
                    all = (bits[bit >> 6] & (1UL << (int)(bit & 63))) != 0;
                }

                if (all) return true;
            }

            return false;
        }
    }

    private void AddLayer(int capacity)
    {
        // A power of two of bits, at least BitsPerId per id of capacity.
        long bits = 64;
        while (bits < (long)capacity * BitsPerId) bits *= 2;
        _layers.Add(new ulong[bits / 64]);
        _capacity += capacity;
        Debug.Assert(_layers[^1].Length * 64L >= (long)capacity * BitsPerId, "a layer smaller than its capacity");
    }

    /// <summary>Two independent 64-bit hashes (FNV-1a, then two finalizers); the second odd, for double hashing.</summary>
    private static (ulong, ulong) Hash(string id)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in id) h = (h ^ c) * 1099511628211UL;
        return (Mix(h), Mix(h ^ 0x9E3779B97F4A7C15UL) | 1);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
