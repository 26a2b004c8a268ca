using System.Runtime.CompilerServices;
namespace LstmStreams.Core.Kernels.Managed;

/// <summary>The no-SIMD path: one row × one block with plain loops, same packed layout and epilogue.</summary>
internal static unsafe class ScalarTile
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run1(float* a, int k, int split, float* w, int units, in Epilogue epilogue, float[] state)
    {
        int width = 4 * units;
        float* gates = stackalloc float[width];
        float* fromX = stackalloc float[width];
        for (int c = 0; c < width; c++) gates[c] = fromX[c] = 0f;
        for (int p = 0; p < k; p++, w += width)
        {
            float x = a[p];
            float* sums = p < split ? fromX : gates; // GRU: x and h parts summed apart (see Tiles512)
            for (int c = 0; c < width; c++) sums[c] += x * w[c];
        }

        for (int c = 0; c < width; c++) gates[c] += fromX[c] + epilogue.Bias[c];

        epilogue.ApplyScalar(gates, units, state);
    }
}
