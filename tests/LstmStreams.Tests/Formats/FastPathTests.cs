using System.Globalization;
using System.Text;
using LstmStreams.Formats;
using LstmStreams.Pipeline;

namespace LstmStreams.Tests.Formats;

/// <summary>The fast paths give the general paths' results bit for bit, on random inputs.</summary>
public sealed class FastPathTests
{
    [Fact]
    public void Float32Text_gives_the_correctly_rounded_float_of_every_number_form()
    {
        var random = new Random(23);
        for (int k = 0; k < 200_000; k++)
        {
            float f = (k % 4) switch
            {
                0 => (float)(random.NextDouble() * 2 - 1),
                1 => BitConverter.Int32BitsToSingle(random.Next()) is var b && float.IsFinite(b) ? b : 1f,
                2 => (float)(random.Next(-100_000, 100_000) / Math.Pow(10, random.Next(0, 12))),
                _ => (float)(random.NextDouble() * Math.Pow(10, random.Next(-40, 39))),
            };
            double d = random.NextDouble() * Math.Pow(10, random.Next(-12, 12)) * (random.Next(2) == 0 ? -1 : 1);
            // A midpoint between two float32s, and decimals of 9–16 digits near it: where rounding twice could go wrong.
            double midpoint = ((double)f + (double)MathF.BitIncrement(f)) / 2;
            string[] forms = [midpoint.ToString("G16", CultureInfo.InvariantCulture), midpoint.ToString("G12", CultureInfo.InvariantCulture), midpoint.ToString("G9", CultureInfo.InvariantCulture),
                d.ToString("G15", CultureInfo.InvariantCulture), f.ToString(CultureInfo.InvariantCulture), f.ToString("G9", CultureInfo.InvariantCulture), f.ToString("E3", CultureInfo.InvariantCulture),
                d.ToString("R", CultureInfo.InvariantCulture), d.ToString("F6", CultureInfo.InvariantCulture), random.Next(-20_000_000, 20_000_000).ToString(CultureInfo.InvariantCulture)];
            foreach (string text in forms)
            {
                string json = text.Replace("E+", "e+", StringComparison.Ordinal);
                Assert.True(Float32Text.TryParseJsonNumber(Encoding.ASCII.GetBytes(json), out float ours), json);
                float want = float.Parse(json, CultureInfo.InvariantCulture);
                Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(ours), $"{json}: {ours:G9} vs {want:G9}");
            }
        }
    }

    [Theory]
    [InlineData("01")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("+1")]
    [InlineData("1e")]
    [InlineData("--1")]
    [InlineData("1.e5")]
    [InlineData("-")]
    [InlineData("1e+-2")]
    [InlineData("0x10")]
    [InlineData("")]
    public void Float32Text_refuses_what_is_not_a_JSON_number(string text) =>
        Assert.False(Float32Text.TryParseJsonNumber(Encoding.ASCII.GetBytes(text), out _));

    [Theory]
    [InlineData("1.5,", 3, 1.5f)]
    [InlineData("-0.25]", 5, -0.25f)]
    [InlineData("7e1}", 3, 70f)]
    [InlineData("1.5.3", 3, 1.5f)]
    public void Float32Text_reads_the_number_at_the_start_and_where_it_ends(string text, int length, float value)
    {
        Assert.True(Float32Text.TryParseJsonNumberPrefix(Encoding.ASCII.GetBytes(text), out float got, out int used));
        Assert.Equal(length, used);
        Assert.Equal(value, got);
    }

    [Theory]
    [InlineData("1.,")]
    [InlineData("1e]")]
    [InlineData("-")]
    [InlineData(",1")]
    public void Float32Text_refuses_a_number_cut_short(string text) =>
        Assert.False(Float32Text.TryParseJsonNumberPrefix(Encoding.ASCII.GetBytes(text), out _, out _));

    private static string RandomLine(Random random)
    {
        string Space() => random.Next(6) switch { 0 => " ", 1 => "  ", 2 => "\t", _ => "" };
        // Numbers, and tokens that start as one and go on (the fast path reads a number and its end in one pass).
        string Number() => random.Next(10) switch
        {
            8 => new[] { "1.5.3", "1-2", "1e", "1.", "-", "2e+", "1e5e5", "+1", "0.5E-3", "12e" }[random.Next(10)],
            9 => "-" + random.Next(100).ToString(CultureInfo.InvariantCulture) + "." + random.Next(1000).ToString("D3", CultureInfo.InvariantCulture) + "e-" + random.Next(3),
            0 => random.Next(-5, 5).ToString(CultureInfo.InvariantCulture),
            1 => ((float)random.NextDouble()).ToString(CultureInfo.InvariantCulture),
            2 => (random.NextDouble() * 1e6).ToString("R", CultureInfo.InvariantCulture),
            3 => "1e39",
            4 => "-0.0",
            5 => "01",
            6 => "\"2\"",
            _ => (random.NextDouble() - 0.5).ToString("E2", CultureInfo.InvariantCulture),
        };
        var fields = new List<string>();
        if (random.Next(10) > 0)
        {
            fields.Add(random.Next(12) switch
            {
                0 => "\"seq\":" + Space() + random.Next(100),
                1 => "\"seq\":\"a\\u00e9\"",
                2 => "\"seq\":\"\"",
                3 => "\"seq\":\"caf\u00e9\"",
                4 => "\"seq\":null",
                _ => $"\"seq\":{Space()}\"s-{random.Next(20)}\"",
            });
        }

        if (random.Next(10) > 0) fields.Add("\"x\":" + Space() + "[" + string.Join("," + Space(), Enumerable.Range(0, random.Next(0, 5)).Select(_ => Number())) + Space() + "]");
        if (random.Next(3) == 0) fields.Add("\"t\":" + random.Next(4) switch { 0 => "null", 1 => "\"2026-12-02T09:00:00Z\"", 2 => "1.5", _ => random.Next(1_000_000).ToString(CultureInfo.InvariantCulture) });
        if (random.Next(4) == 0) fields.Add("\"reset\":" + (random.Next(3) switch { 0 => "true", 1 => "false", _ => "1" }));
        if (random.Next(4) == 0) fields.Add("\"end\":" + (random.Next(2) == 0 ? "true" : "null"));
        if (random.Next(3) == 0) fields.Add("\"temp\":" + Number());
        if (random.Next(3) == 0) fields.Add("\"rpm\":" + Number());
        if (random.Next(4) == 0) fields.Add("\"extra\":" + random.Next(5) switch { 0 => "{\"a\":[1]}", 1 => "[1,\"b\",null]", 2 => "\"q\\\"uote\"", 3 => "[[1]]", _ => "true" });
        fields = fields.OrderBy(_ => random.Next()).ToList();
        if (random.Next(10) == 0 && fields.Count > 0) fields.Add(fields[0]); // a key twice: the last wins
        string line = Space() + "{" + Space() + string.Join(Space() + "," + Space(), fields) + Space() + "}" + Space();
        return random.Next(20) switch { 0 => line[..(line.Length / 2)], 1 => line + " {}", 2 => line.Replace(":", "", StringComparison.Ordinal), _ => line };
    }

    [Fact]
    public void Fast_json_path_accepts_only_what_the_general_path_reads_the_same()
    {
        var random = new Random(29);
        var fieldSets = new[] { InputFields.Default, new InputFields { Features = ["temp", "rpm"] }, new InputFields { Features = ["temp", "rpm"], FeaturesFromModel = true } };
        int fast = 0;
        foreach (var fields in fieldSets)
        {
            var parser = new JsonlObservations(fields);
            for (int k = 0; k < 20_000; k++)
            {
                byte[] line = Encoding.UTF8.GetBytes(RandomLine(random));
                string? topicId = random.Next(5) == 0 ? "topic-id" : null;
                var general = parser.ReadGeneral(line, k, topicId);
                if (!parser.TryReadFast(line, k, topicId, out var quick)) continue;
                fast++;
                string text = Encoding.UTF8.GetString(line);
                var want = Assert.IsType<Observation>(general.Observation); // the fast path never accepts what the general path refuses
                var got = quick.Observation!;
                Assert.True(want.SequenceId == got.SequenceId && want.T == got.T && want.Reset == got.Reset && want.End == got.End && want.Position == got.Position, text);
                Assert.True(want.Features.Select(BitConverter.SingleToInt32Bits).SequenceEqual(got.Features.Select(BitConverter.SingleToInt32Bits)), text);
            }
        }

        Assert.True(fast > 3_000, $"only {fast} lines took the fast path: the generator no longer exercises it");
    }
}
