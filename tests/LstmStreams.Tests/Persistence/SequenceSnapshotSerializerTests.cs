using System.Runtime.Serialization;
using LstmStreams.Core.Model;
using LstmStreams.Persistence;

namespace LstmStreams.Tests.Persistence;

/// <summary>The stored format of a sequence's state: versioned, shape recorded, damage refused with a reason.</summary>
public sealed class SequenceSnapshotSerializerTests
{
    private static SequenceSnapshot Sample(long? lastT = 1_700_000_123) =>
        new(new ModelShape(CellKind.Lstm, 8, [64, 32]), Enumerable.Range(0, 2 * 64 + 2 * 32).Select(i => i * 0.25f - 7).ToArray(), 41, lastT);

    [Theory]
    [InlineData(1_700_000_123L)]
    [InlineData(null)]
    [InlineData(long.MinValue + 1)]
    public void A_snapshot_reads_back_exactly(long? lastT)
    {
        var snapshot = Sample(lastT);
        var back = SequenceSnapshotSerializer.Read(SequenceSnapshotSerializer.Write(snapshot));
        Assert.Equal(snapshot.Shape, back.Shape);
        Assert.Equal(snapshot.Values, back.Values);
        Assert.Equal(41, back.Count);
        Assert.Equal(lastT, back.LastT);
    }

    [Fact]
    public void The_recorded_shape_tells_models_apart()
    {
        var shape = new ModelShape(CellKind.Lstm, 8, [64, 32]);
        Assert.Equal(shape, new ModelShape(CellKind.Lstm, 8, [64, 32]));
        Assert.NotEqual(shape, new ModelShape(CellKind.Gru, 8, [64, 32]));
        Assert.NotEqual(shape, new ModelShape(CellKind.Lstm, 9, [64, 32]));
        Assert.NotEqual(shape, new ModelShape(CellKind.Lstm, 8, [32, 64]));
        Assert.Equal(2 * 64 + 2 * 32, shape.StateSize);
        Assert.Equal("lstm, input 8, hidden [64, 32]", shape.ToString());
    }

    [Fact]
    public void A_projected_shape_is_recorded_as_version_2_and_tells_a_model_without_projection_apart()
    {
        var projected = new ModelShape(CellKind.Lstm, 8, [64, 64], 16);
        Assert.NotEqual(new ModelShape(CellKind.Lstm, 8, [64, 64]), projected);
        Assert.Equal(2 * (16 + 64), projected.StateSize);
        Assert.Equal("lstm, input 8, hidden [64, 64], proj 16", projected.ToString());
        var snapshot = new SequenceSnapshot(projected, Enumerable.Range(0, projected.StateSize).Select(i => i * 0.5f).ToArray(), 3, null);
        var bytes = SequenceSnapshotSerializer.Write(snapshot);
        Assert.Equal(2, bytes[3]);
        var back = SequenceSnapshotSerializer.Read(bytes);
        Assert.Equal(projected, back.Shape);
        Assert.Equal(snapshot.Values, back.Values);
        Assert.Equal(1, SequenceSnapshotSerializer.Write(Sample())[3]); // no projection: version 1, as before
    }

    [Fact]
    public void An_unknown_format_version_is_refused_naming_it()
    {
        var bytes = SequenceSnapshotSerializer.Write(Sample());
        bytes[3] = 9;
        var error = Assert.Throws<SerializationException>(() => SequenceSnapshotSerializer.Read(bytes));
        Assert.Contains("format version 9", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(20)]
    [InlineData(100)]
    public void A_truncated_snapshot_is_refused(int keep)
    {
        var bytes = SequenceSnapshotSerializer.Write(Sample());
        Assert.Throws<SerializationException>(() => SequenceSnapshotSerializer.Read(bytes.AsSpan(0, keep)));
    }

    [Fact]
    public void Foreign_bytes_and_lying_counts_are_refused()
    {
        Assert.Contains("not an LstmStreams snapshot", Assert.Throws<SerializationException>(() => SequenceSnapshotSerializer.Read("{\"json\":1}"u8)).Message);
        var bytes = SequenceSnapshotSerializer.Write(Sample());
        BitConverter.TryWriteBytes(bytes.AsSpan(9), 1_000_000_000); // layers
        Assert.Throws<SerializationException>(() => SequenceSnapshotSerializer.Read(bytes));
    }
}
