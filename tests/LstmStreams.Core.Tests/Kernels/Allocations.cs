namespace LstmStreams.Core.Tests.Kernels;

/// <summary>Asserts that a kernel step allocates nothing on the calling thread.</summary>
internal static class Allocations
{
    /// <summary>
    /// Runs <paramref name="step"/> in windows of 50 and asserts a window without a garbage collection allocated 0
    /// bytes. This thread's count is used (other tests allocate on theirs meanwhile); it is not exact across a
    /// collection (dotnet/coreclr#10207), which tests running in parallel cause at any time, so a window in which
    /// one ran is measured again, up to 100 windows. A step that allocates shows in every window, with or without
    /// a collection.
    /// </summary>
    public static void AssertNone(Action step)
    {
        var windows = new List<string>();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int collections = GC.CollectionCount(0);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 50; i++) step();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            bool collected = GC.CollectionCount(0) != collections;
            windows.Add($"{allocated} B{(collected ? " (a GC ran)" : "")}");
            if (!collected)
            {
                Assert.True(allocated == 0, $"50 steps allocated {allocated} bytes; windows: {string.Join(", ", windows)}");
                return;
            }
        }

        Assert.Fail($"a GC ran during each of 100 windows of 50 steps, so allocation could not be measured; windows: {string.Join(", ", windows.TakeLast(10))}");
    }
}
