using LstmStreams.Formats;

namespace LstmStreams.Tests.Formats;

public sealed class JsonlAndCsvParserTests
{
    [Fact]
    public void Jsonl_reads_every_field_and_ignores_unknown_ones()
    {
        var line = JsonlObservations.Parse("""{"seq": "sensor/17", "x": [0.1, 2.0, -3.5e2], "t": 1700000000, "reset": true, "end": false, "extra": {"a": [1]}}""", 4);
        var o = Assert.IsType<LstmStreams.Pipeline.Observation>(line.Observation);
        Assert.Equal("sensor/17", o.SequenceId);
        Assert.Equal([0.1f, 2.0f, -350f], o.Features);
        Assert.Equal(1700000000L, o.T);
        Assert.True(o.Reset);
        Assert.False(o.End);
        Assert.Equal(4, o.Position);
        Assert.Equal("17", JsonlObservations.Parse("""{"seq": 17, "x": [1]}""", 1).Observation!.SequenceId);
    }

    [Theory]
    [InlineData("""{"seq": "a", "x": [1, "two"]}""", "not a number")]
    [InlineData("""{"seq": "a"}""", "missing \"x\"")]
    [InlineData("""{"x": [1]}""", "missing \"seq\"")]
    [InlineData("""{"seq": "", "x": [1]}""", "missing \"seq\"")]
    [InlineData("""{"seq": "a", "x": [1], "t": 1.5}""", "integer")]
    [InlineData("""{"seq": "a", "x": [1], "reset": "yes"}""", "true or false")]
    [InlineData("""[1, 2]""", "not a JSON object")]
    [InlineData("""{"seq": "a", "x": [1]""", "not valid JSON")]
    [InlineData("""{"seq": "a", "x": [1]} {}""", "not valid JSON")]
    [InlineData("""   """, "empty line")]
    [InlineData("""{"seq": "a", "x": [1e39]}""", "\"x\"[0] = 1E+39 is beyond float32's range")]
    public void Jsonl_turns_bad_lines_into_error_records(string text, string reason)
    {
        var line = JsonlObservations.Parse(text, 9);
        Assert.Null(line.Observation);
        Assert.Equal(9, line.Error!.Position);
        Assert.Contains(reason, line.Error.Reason);
    }

    [Fact]
    public void Csv_maps_columns_by_header_and_handles_quotes()
    {
        var csv = CsvObservations.FromHeader("t,x0,seq,x1,end");
        var o = csv.Parse("5,1.5,\"id,with \"\"comma\"\"\",-2,true", 2).Observation!;
        Assert.Equal("id,with \"comma\"", o.SequenceId);
        Assert.Equal([1.5f, -2f], o.Features);
        Assert.Equal(5L, o.T);
        Assert.True(o.End);
        Assert.Contains("columns", csv.Parse("1,2,a", 3).Error!.Reason);
        Assert.Contains("not a number", csv.Parse("1,abc,a,2,false", 4).Error!.Reason);
        Assert.Throws<FormatException>(() => CsvObservations.FromHeader("t,x0,x1"));
        Assert.Equal(["x0", "x1"], csv.FeatureNames);
    }
}
