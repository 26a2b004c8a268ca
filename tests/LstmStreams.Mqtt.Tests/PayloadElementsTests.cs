using System.Text;

namespace LstmStreams.Mqtt.Tests;

/// <summary>What a payload is, and where the observation objects of one that is not an array are: one object, JSONL lines.</summary>
public sealed class PayloadElementsTests
{
    private static List<string> Find(string payload)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(payload);
        var ranges = new List<Range>();
        PayloadElements.Find(bytes, ranges);
        return ranges.Select(r => Encoding.UTF8.GetString(bytes[r])).ToList();
    }

    [Fact]
    public void A_single_object_is_one_element_even_when_pretty_printed_across_lines()
    {
        Assert.Equal(["""{"x": [1]}"""], Find("""{"x": [1]}"""));
        Assert.Equal(["{\n  \"x\": [1],\n  \"t\": 2\n}\n"], Find("{\n  \"x\": [1],\n  \"t\": 2\n}\n"));
    }

    [Theory]
    [InlineData(" [ {\"x\": [1]} ]", true)]
    [InlineData("[]", true)]
    [InlineData("{\"x\": [1]}", false)]
    [InlineData("{\"x\": [1]}\n{\"x\": [2]}", false)]
    [InlineData("", false)]
    public void IsArray_tells_an_array_from_an_object_or_lines(string payload, bool array) =>
        Assert.Equal(array, PayloadElements.IsArray(Encoding.UTF8.GetBytes(payload)));

    [Fact]
    public void JSONL_lines_are_elements_and_blank_lines_are_skipped()
    {
        var elements = Find("{\"x\": [1]}\r\n\n  \n{\"x\": [2]}\nnot json\n");

        Assert.Equal(["{\"x\": [1]}\r", "{\"x\": [2]}", "not json"], elements);
    }
}
