using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>The AVX2 register tiles: 3 rows × 32 gate columns (8 units × 4 gates), 12 ymm accumulators,
/// stored to a gates buffer [rows, 32] for the epilogue (see <see cref="Tiles512"/>).</summary>
internal static unsafe class Tiles256
{
    public const int Rows = 3;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run3(float* a, int k, int split, float* w, float* gates)
    {
        var c00 = Vector256<float>.Zero; var c01 = c00; var c02 = c00; var c03 = c00;
        var c10 = c00; var c11 = c00; var c12 = c00; var c13 = c00;
        var c20 = c00; var c21 = c00; var c22 = c00; var c23 = c00;
        float* a0 = a, a1 = a + k, a2 = a + 2 * k;
        int p = 0, end = split > 0 ? split : k; // GRU: x and h parts of r, z summed apart (see Tiles512)
        for (; p < end; p++, w += 32)
        {
            var b0 = Vector256.Load(w);
            var b1 = Vector256.Load(w + 8);
            var b2 = Vector256.Load(w + 16);
            var b3 = Vector256.Load(w + 24);
            var x = Vector256.Create(a0[p]);
            c00 = c00 + x * b0; c01 = c01 + x * b1;
            c02 = c02 + x * b2; c03 = c03 + x * b3;
            x = Vector256.Create(a1[p]);
            c10 = c10 + x * b0; c11 = c11 + x * b1;
            c12 = c12 + x * b2; c13 = c13 + x * b3;
            x = Vector256.Create(a2[p]);
            c20 = c20 + x * b0; c21 = c21 + x * b1;
            c22 = c22 + x * b2; c23 = c23 + x * b3;
        }

        if (split > 0)
        {
            c00.Store(gates); c01.Store(gates + 8); c10.Store(gates + 32); c11.Store(gates + 40); c20.Store(gates + 64); c21.Store(gates + 72);
            c00 = c01 = c10 = c11 = c20 = c21 = Vector256<float>.Zero;
            end = k;
            for (; p < end; p++, w += 32)
            {
                var b0 = Vector256.Load(w);
                var b1 = Vector256.Load(w + 8);
                var b2 = Vector256.Load(w + 16);
                var b3 = Vector256.Load(w + 24);
                var x = Vector256.Create(a0[p]);
                c00 = c00 + x * b0; c01 = c01 + x * b1;
                c02 = c02 + x * b2; c03 = c03 + x * b3;
                x = Vector256.Create(a1[p]);
                c10 = c10 + x * b0; c11 = c11 + x * b1;
                c12 = c12 + x * b2; c13 = c13 + x * b3;
                x = Vector256.Create(a2[p]);
                c20 = c20 + x * b0; c21 = c21 + x * b1;
                c22 = c22 + x * b2; c23 = c23 + x * b3;
            }


            c00 += Vector256.Load(gates); c01 += Vector256.Load(gates + 8); c10 += Vector256.Load(gates + 32);
            c11 += Vector256.Load(gates + 40); c20 += Vector256.Load(gates + 64); c21 += Vector256.Load(gates + 72);
        }

        c00.Store(gates); c01.Store(gates + 8); c02.Store(gates + 16); c03.Store(gates + 24);
        c10.Store(gates + 32); c11.Store(gates + 40); c12.Store(gates + 48); c13.Store(gates + 56);
        c20.Store(gates + 64); c21.Store(gates + 72); c22.Store(gates + 80); c23.Store(gates + 88);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run1(float* a, int k, int split, float* w, float* gates)
    {
        var c0 = Vector256<float>.Zero; var c1 = c0; var c2 = c0; var c3 = c0;
        var x0 = c0; var x1 = c0;
        for (int p = 0; p < split; p++, w += 32)
        {
            var x = Vector256.Create(a[p]);
            x0 = x0 + x * Vector256.Load(w);
            x1 = x1 + x * Vector256.Load(w + 8);
            c2 = c2 + x * Vector256.Load(w + 16);
            c3 = c3 + x * Vector256.Load(w + 24);
        }

        for (int p = split; p < k; p++, w += 32)
        {
            var x = Vector256.Create(a[p]);
            c0 = c0 + x * Vector256.Load(w);
            c1 = c1 + x * Vector256.Load(w + 8);
            c2 = c2 + x * Vector256.Load(w + 16);
            c3 = c3 + x * Vector256.Load(w + 24);
        }

        (c0 + x0).Store(gates);
        (c1 + x1).Store(gates + 8);
        c2.Store(gates + 16);
        c3.Store(gates + 24);
    }
}
