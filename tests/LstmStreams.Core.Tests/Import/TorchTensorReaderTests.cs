using LstmStreams.Core.Import;

namespace LstmStreams.Core.Tests.Import;

public sealed class TorchTensorReaderTests
{
    private static readonly TorchStorageRef Six = new("0", SafetensorsDType.F32, 6);

    private static byte[] Storage(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void Read_copies_a_transposed_view_row_major()
    {
        // storage 0..5 as a [2, 3] row-major tensor; its transpose is [3, 2] with strides (1, 3)
        var values = TorchTensorReader.Read("m.pt", "w", new TorchTensorView(Six, 0, [3, 2], [1, 3]), Storage(0, 1, 2, 3, 4, 5));
        Assert.Equal([0f, 3, 1, 4, 2, 5], values);
    }

    [Fact]
    public void Read_copies_a_strided_slice_at_an_offset()
    {
        var values = TorchTensorReader.Read("m.pt", "w", new TorchTensorView(Six, 1, [2], [2]), Storage(0, 1, 2, 3, 4, 5));
        Assert.Equal([1f, 3], values);
    }

    [Fact]
    public void Read_gives_an_empty_tensor_and_a_scalar()
    {
        Assert.Empty(TorchTensorReader.Read("m.pt", "w", new TorchTensorView(Six, 0, [0, 4], [4, 1]), Storage(0, 1, 2, 3, 4, 5)));
        Assert.Equal([5f], TorchTensorReader.Read("m.pt", "w", new TorchTensorView(Six, 5, [], []), Storage(0, 1, 2, 3, 4, 5)));
    }

    [Theory]
    [InlineData(0, new long[] { 0, -1 }, new long[] { 1, 1 }, "dimension 1 has size -1")]
    [InlineData(0, new long[] { 2 }, new long[] { -1 }, "stride -1")]
    [InlineData(-1, new long[] { 2 }, new long[] { 1 }, "offset -1 is negative")]
    [InlineData(4, new long[] { 3 }, new long[] { 1 }, "reach element 6 of storage '0', which holds 6")]
    [InlineData(0, new long[] { 2, 3 }, new long[] { 3, 2 }, "reach element 7")]
    [InlineData(0, new long[] { 65536, 65536 }, new long[] { 0, 0 }, "more than 2^31 elements")]
    public void Read_refuses_a_view_outside_its_storage(long offset, long[] size, long[] stride, string reason)
    {
        var error = Assert.Throws<ModelFormatException>(() => TorchTensorReader.Read("m.pt", "w", new TorchTensorView(Six, offset, size, stride), Storage(0, 1, 2, 3, 4, 5)));
        Assert.Contains("tensor 'w'", error.Message);
        Assert.Contains(reason, error.Message);
    }
}
