using System.Text;

namespace LstmStreams.Mqtt.Tests;

/// <summary>Where a payload's observation objects are: one object, an array, JSONL lines.</summary>
public sealed class PayloadElementsTests
{
    private static (List<string> Elements, string? Unreadable) Find(string payload)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(payload);
        var ranges = new List<Range>();
        string? unreadable = PayloadElements.Find(bytes, ranges);
        return (ranges.Select(r => Encoding.UTF8.GetString(bytes[r])).ToList(), unreadable);
    }

    [Fact]
    public void A_single_object_is_one_element_even_when_pretty_printed_across_lines()
    {
        Assert.Equal(["""{"x": [1]}"""], Find("""{"x": [1]}""").Elements);
        Assert.Equal(["{\n  \"x\": [1],\n  \"t\": 2\n}\n"], Find("{\n  \"x\": [1],\n  \"t\": 2\n}\n").Elements);
    }

    [Fact]
    public void An_array_gives_each_element_in_order_including_ones_that_are_not_objects()
    {
        var (elements, unreadable) = Find(""" [ {"x": [1]}, {"x": [2], "m": {"a": [3]}} ,7, "s"] """);

        Assert.Null(unreadable);
        Assert.Equal(["""{"x": [1]}""", """{"x": [2], "m": {"a": [3]}}""", "7", "\"s\""], elements);
    }

    [Fact]
    public void JSONL_lines_are_elements_and_blank_lines_are_skipped()
    {
        var (elements, unreadable) = Find("{\"x\": [1]}\r\n\n  \n{\"x\": [2]}\nnot json\n");

        Assert.Null(unreadable);
        Assert.Equal(["{\"x\": [1]}\r", "{\"x\": [2]}", "not json"], elements);
    }

    [Theory]
    [InlineData("""[{"x": [1]}, {"x": [2""", 1, "not valid JSON from element 1")]
    [InlineData("""[{"x": [1]}] [{"x": [2]}]""", 1, "content after the array")]
    [InlineData("[]", 0, "empty array")]
    public void An_array_that_cannot_be_read_to_its_end_keeps_the_elements_before_and_says_why(string payload, int kept, string why)
    {
        var (elements, unreadable) = Find(payload);

        Assert.Equal(kept, elements.Count);
        Assert.Contains(why, unreadable);
    }
}
