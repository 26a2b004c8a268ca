using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>The instruction set the managed kernel uses. <see cref="Auto"/> picks the widest available;
/// the others force a path (tests run every path on one machine).</summary>
public enum SimdLevel
{
    /// <summary>The widest path this CPU supports.</summary>
    Auto,

    /// <summary>512-bit vectors (AVX-512F): 16 floats, 6×64 register tile.</summary>
    Avx512,

    /// <summary>256-bit vectors with FMA (AVX2): 8 floats, 3×32 register tile.</summary>
    Avx2,

    /// <summary>Plain scalar code: correct anywhere.</summary>
    Scalar,
}

/// <summary>What this CPU supports.</summary>
public static class SimdSupport
{
    /// <summary>Whether the 512-bit path can run here.</summary>
    public static bool Avx512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>Whether the 256-bit path can run here.</summary>
    public static bool Avx2 => Vector256.IsHardwareAccelerated && Fma.IsSupported;

    /// <summary>Resolves <see cref="SimdLevel.Auto"/>; refuses a forced level the CPU lacks.</summary>
    public static SimdLevel Resolve(SimdLevel level) => level switch
    {
        SimdLevel.Auto => Avx512 ? SimdLevel.Avx512 : Avx2 ? SimdLevel.Avx2 : SimdLevel.Scalar,
        SimdLevel.Avx512 when !Avx512 => throw new PlatformNotSupportedException("this CPU has no AVX-512F."),
        SimdLevel.Avx2 when !Avx2 => throw new PlatformNotSupportedException("this CPU has no AVX2/FMA."),
        _ => level,
    };

    /// <summary>Hidden units per packed column block: one vector per gate.</summary>
    public static int UnitsPerBlock(SimdLevel level) => level == SimdLevel.Avx2 ? 8 : 16;
}
