using System.Buffers.Binary;

namespace LstmStreams.Core.Import;

/// <summary>
/// Copies a tensor view out of its storage's little-endian bytes into a row-major float32 array, honouring the
/// storage offset and every stride (transposed views, slices, storages shared by several tensors). The view is
/// checked to lie inside the storage before anything is copied.
/// </summary>
internal static class TorchTensorReader
{
    /// <summary>The view's elements, row-major, as float32.</summary>
    /// <exception cref="ModelFormatException">A negative size, stride or offset, too many elements, or a view
    /// reaching past the end of its storage.</exception>
    public static float[] Read(string path, string name, TorchTensorView view, ReadOnlySpan<byte> storage)
    {
        long count = CheckInside(path, name, view);
        var values = new float[count];
        if (count == 0) return values;
        int rank = view.Size.Length;
        var index = new long[rank];
        long element = view.Offset;
        var dtype = view.Storage.DType;
        int size = dtype.Size();
        for (long i = 0; i < count; i++)
        {
            values[i] = ReadElement(dtype, storage.Slice((int)(element * size), size));
            // advance the multi-index, last dimension fastest
            for (int d = rank - 1; d >= 0; d--)
            {
                element += view.Stride[d];
                if (++index[d] < view.Size[d]) break;
                element -= view.Stride[d] * view.Size[d];
                index[d] = 0;
            }
        }

        return values;
    }

    private static long CheckInside(string path, string name, TorchTensorView view)
    {
        string Bad(string what) => $"tensor '{name}' {view.ShapeText}: {what}; the file is corrupt.";
        if (view.Offset < 0) throw new ModelFormatException(path, Bad($"storage offset {view.Offset} is negative"));
        for (int d = 0; d < view.Size.Length; d++)
        {
            if (view.Size[d] < 0 || view.Size[d] > int.MaxValue || view.Stride[d] < 0)
                throw new ModelFormatException(path, Bad($"dimension {d} has size {view.Size[d]} and stride {view.Stride[d]}"));
        }

        if (view.Size.Contains(0)) return 0;
        long count = 1;
        long last = view.Offset;
        for (int d = 0; d < view.Size.Length; d++)
        {
            long n = view.Size[d], stride = view.Stride[d];
            if (n > int.MaxValue / count) throw new ModelFormatException(path, Bad("it has more than 2^31 elements"));
            count *= n;
            if (stride > 0 && n - 1 > (long.MaxValue - last) / stride) throw new ModelFormatException(path, Bad("its strides overflow"));
            last += (n - 1) * stride;
        }

        if (last >= view.Storage.Numel)
            throw new ModelFormatException(path, Bad($"offset {view.Offset} and strides [{string.Join(", ", view.Stride)}] reach element {last} of storage '{view.Storage.Key}', which holds {view.Storage.Numel}"));
        return count;
    }

    private static float ReadElement(SafetensorsDType dtype, ReadOnlySpan<byte> bytes) => dtype switch
    {
        SafetensorsDType.F32 => BinaryPrimitives.ReadSingleLittleEndian(bytes),
        SafetensorsDType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes),
        SafetensorsDType.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes) << 16),
        _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes),
    };
}
