using System.Runtime.InteropServices;

namespace LstmStreams.Core.Kernels.OpenBlas;

/// <summary>
/// The system's OpenBLAS (libopenblas.so.0), looked up once on first use and never required: when it is
/// missing, <see cref="IsAvailable"/> is false and <see cref="Require"/> says how to install it.
/// </summary>
internal static unsafe class OpenBlasLibrary
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    private static readonly Lazy<Api?> Loaded = new(Load);

    /// <summary>The file names tried, most specific first.</summary>
    public static readonly string[] Names = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libopenblas.dll"];

    /// <summary>Whether OpenBLAS could be loaded on this machine.</summary>
    public static bool IsAvailable => Loaded.Value is not null;

    /// <summary>Throws a message with the fix when OpenBLAS is missing.</summary>
    public static void Require()
    {
        if (!IsAvailable)
            throw new PlatformNotSupportedException(
                "the openblas kernel needs the system library libopenblas.so.0, which was not found; install it " +
                "(Debian/Ubuntu: apt-get install libopenblas0) or use the managed kernel (kernel = auto).");
    }

    /// <summary>Sets the threads OpenBLAS uses for every later call in this process.</summary>
    public static void SetThreads(int threads) => Loaded.Value!.SetThreads(threads);

    /// <summary>C [m, n] = A [m, k] · Bᵀ, B being [n, k]; all row-major.</summary>
    public static void MultiplyByTransposed(float* a, float* b, float* c, int m, int n, int k) =>
        Loaded.Value!.Sgemm(RowMajor, NoTrans, Trans, m, n, k, 1f, a, k, b, k, 0f, c, n);

    private static Api? Load()
    {
        foreach (string name in Names)
        {
            if (!NativeLibrary.TryLoad(name, typeof(OpenBlasLibrary).Assembly, null, out var handle)) continue;
            if (NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var sgemm) &&
                NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var setThreads))
                return new Api(
                    (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm,
                    (delegate* unmanaged<int, void>)setThreads);
            NativeLibrary.Free(handle);
        }

        return null;
    }

    private sealed class Api(
        delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm,
        delegate* unmanaged<int, void> setThreads)
    {
        public void Sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
            sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

        public void SetThreads(int threads) => setThreads(threads);
    }
}
