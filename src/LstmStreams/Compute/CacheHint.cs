using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace LstmStreams.Compute;

/// <summary>
/// Software prefetch for the compute stage's admission. A group of observations touches up to 256 random
/// sequences' states: asked for one after another, each is a cache miss paid in full. Hinted in a first pass,
/// the misses of the whole group overlap. A hint never faults and changes no value: when the GC has moved
/// an object since its address was read, the hint is merely wasted. No-op where SSE is not available.
/// </summary>
internal static unsafe class CacheHint
{
    private const int LineBytes = 64;

    /// <summary>Starts loading the first cache line of <paramref name="target"/> (its header and first fields).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(object target)
    {
        if (Sse.IsSupported) Sse.Prefetch0(*(void**)Unsafe.AsPointer(ref target));
    }

    /// <summary>Starts loading the cache line that holds <paramref name="location"/> (an array element, say).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load<T>(ref T location)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref location));
    }

    /// <summary>Starts loading the lines of <paramref name="values"/>, at most <paramref name="maxLines"/>.</summary>
    public static void Load(float[] values, int maxLines)
    {
        if (!Sse.IsSupported || values.Length == 0) return;
        byte* start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(values));
        int bytes = Math.Min(values.Length * sizeof(float), maxLines * LineBytes);
        for (int offset = 0; offset < bytes; offset += LineBytes) Sse.Prefetch0(start + offset);
    }
}
