using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// The AVX-512 register tiles: 6 rows × 64 gate columns (16 units × 4 gates) held in 24 zmm accumulators
/// over the whole K loop, then the fused epilogue per row. One packed weight row (4 vectors) is loaded
/// per k and reused by all six rows; each row's A element is broadcast once and reused four times.
/// Products are rounded before they are added (a multiply and an add, not a fused multiply-add): that is
/// how PyTorch's CPU GEMM rounds, so saturating inputs stay within 1e-7 of PyTorch instead of 1e-5, and
/// on Zen the separate multiply and add pipes keep the same throughput (measured).
/// </summary>
internal static unsafe class Tiles512
{
    public const int Rows = 6;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run6(float* a, int k, int split, float* w, in Epilogue epilogue, float[] s0, float[] s1, float[] s2, float[] s3, float[] s4, float[] s5)
    {
        var c00 = Vector512<float>.Zero; var c01 = c00; var c02 = c00; var c03 = c00;
        var c10 = c00; var c11 = c00; var c12 = c00; var c13 = c00;
        var c20 = c00; var c21 = c00; var c22 = c00; var c23 = c00;
        var c30 = c00; var c31 = c00; var c32 = c00; var c33 = c00;
        var c40 = c00; var c41 = c00; var c42 = c00; var c43 = c00;
        var c50 = c00; var c51 = c00; var c52 = c00; var c53 = c00;
        float* a0 = a, a1 = a + k, a2 = a + 2 * k, a3 = a + 3 * k, a4 = a + 4 * k, a5 = a + 5 * k;
        // GRU (split > 0): the x rows and the h rows of the r and z gates are summed apart and added at the
        // end, as PyTorch adds W_ih·x + b_ih and W_hh·h + b_hh; this keeps large inputs within 1e-5 of it.
        int p = 0, end = split > 0 ? split : k;
        for (; p < end; p++, w += 64)
        {
            var b0 = Vector512.Load(w);
            var b1 = Vector512.Load(w + 16);
            var b2 = Vector512.Load(w + 32);
            var b3 = Vector512.Load(w + 48);
            var x = Vector512.Create(a0[p]);
            c00 = c00 + x * b0; c01 = c01 + x * b1;
            c02 = c02 + x * b2; c03 = c03 + x * b3;
            x = Vector512.Create(a1[p]);
            c10 = c10 + x * b0; c11 = c11 + x * b1;
            c12 = c12 + x * b2; c13 = c13 + x * b3;
            x = Vector512.Create(a2[p]);
            c20 = c20 + x * b0; c21 = c21 + x * b1;
            c22 = c22 + x * b2; c23 = c23 + x * b3;
            x = Vector512.Create(a3[p]);
            c30 = c30 + x * b0; c31 = c31 + x * b1;
            c32 = c32 + x * b2; c33 = c33 + x * b3;
            x = Vector512.Create(a4[p]);
            c40 = c40 + x * b0; c41 = c41 + x * b1;
            c42 = c42 + x * b2; c43 = c43 + x * b3;
            x = Vector512.Create(a5[p]);
            c50 = c50 + x * b0; c51 = c51 + x * b1;
            c52 = c52 + x * b2; c53 = c53 + x * b3;
        }

        if (split > 0)
        {
            var x00 = c00; var x01 = c01; var x10 = c10; var x11 = c11; var x20 = c20; var x21 = c21;
            var x30 = c30; var x31 = c31; var x40 = c40; var x41 = c41; var x50 = c50; var x51 = c51;
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector512<float>.Zero;
            end = k;
            for (; p < end; p++, w += 64)
            {
                var b0 = Vector512.Load(w);
                var b1 = Vector512.Load(w + 16);
                var b2 = Vector512.Load(w + 32);
                var b3 = Vector512.Load(w + 48);
                var x = Vector512.Create(a0[p]);
                c00 = c00 + x * b0; c01 = c01 + x * b1;
                c02 = c02 + x * b2; c03 = c03 + x * b3;
                x = Vector512.Create(a1[p]);
                c10 = c10 + x * b0; c11 = c11 + x * b1;
                c12 = c12 + x * b2; c13 = c13 + x * b3;
                x = Vector512.Create(a2[p]);
                c20 = c20 + x * b0; c21 = c21 + x * b1;
                c22 = c22 + x * b2; c23 = c23 + x * b3;
                x = Vector512.Create(a3[p]);
                c30 = c30 + x * b0; c31 = c31 + x * b1;
                c32 = c32 + x * b2; c33 = c33 + x * b3;
                x = Vector512.Create(a4[p]);
                c40 = c40 + x * b0; c41 = c41 + x * b1;
                c42 = c42 + x * b2; c43 = c43 + x * b3;
                x = Vector512.Create(a5[p]);
                c50 = c50 + x * b0; c51 = c51 + x * b1;
                c52 = c52 + x * b2; c53 = c53 + x * b3;
            }


            c00 += x00; c01 += x01; c10 += x10; c11 += x11; c20 += x20; c21 += x21;
            c30 += x30; c31 += x31; c40 += x40; c41 += x41; c50 += x50; c51 += x51;
        }

        epilogue.Apply(c00, c01, c02, c03, s0);
        epilogue.Apply(c10, c11, c12, c13, s1);
        epilogue.Apply(c20, c21, c22, c23, s2);
        epilogue.Apply(c30, c31, c32, c33, s3);
        epilogue.Apply(c40, c41, c42, c43, s4);
        epilogue.Apply(c50, c51, c52, c53, s5);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run1(float* a, int k, int split, float* w, in Epilogue epilogue, float[] s0)
    {
        var c0 = Vector512<float>.Zero; var c1 = c0; var c2 = c0; var c3 = c0;
        var x0 = c0; var x1 = c0;
        if (split > 0)
        {
            for (int p = 0; p < split; p++, w += 64)
            {
                var x = Vector512.Create(a[p]);
                x0 = x0 + x * Vector512.Load(w);
                x1 = x1 + x * Vector512.Load(w + 16);
                c2 = c2 + x * Vector512.Load(w + 32);
                c3 = c3 + x * Vector512.Load(w + 48);
            }
        }

        for (int p = split; p < k; p++, w += 64)
        {
            var x = Vector512.Create(a[p]);
            c0 = c0 + x * Vector512.Load(w);
            c1 = c1 + x * Vector512.Load(w + 16);
            c2 = c2 + x * Vector512.Load(w + 32);
            c3 = c3 + x * Vector512.Load(w + 48);
        }

        epilogue.Apply(c0 + x0, c1 + x1, c2, c3, s0);
    }
}
