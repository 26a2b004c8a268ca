using System.Globalization;
using LstmStreams.Formats;
using LstmStreams.Pipeline;

namespace LstmStreams.Tests.Formats;

/// <summary>Devices' own records: named fields and columns mapped into the model's input order; ISO-8601 times.</summary>
public sealed class NamedFieldTests
{
    private static readonly InputFields Device = new() { SequenceField = "device", TimeField = "ts", Features = ["temp", "rpm"] };

    private static ParsedLine Json(string text, InputFields? fields = null) => new JsonlObservations(fields ?? Device).Read(System.Text.Encoding.UTF8.GetBytes(text), 7);

    [Fact]
    public void Json_maps_named_fields_into_the_model_input_order_whatever_their_order()
    {
        var o = Json("""{"rpm": 1200, "note": "x", "ts": "2026-12-02T09:00:00Z", "device": "pump-7", "temp": 21.5, "x": 3}""").Observation!;
        Assert.Equal("pump-7", o.SequenceId);
        Assert.Equal([21.5f, 1200f], o.Features);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), o.T);
    }

    [Theory]
    [InlineData("""{"device": "p", "temp": 1}""", "missing field \"rpm\"")]
    [InlineData("""{"device": "p"}""", "missing fields \"temp\", \"rpm\"")]
    [InlineData("""{"device": "p", "temp": "21.5", "rpm": 1}""", "\"temp\" is a string where a number belongs")]
    [InlineData("""{"device": "p", "temp": null, "rpm": 1}""", "\"temp\" is null where a number belongs")]
    [InlineData("""{"device": "p", "temp": [1], "rpm": 1}""", "\"temp\" is not a number")]
    [InlineData("""{"device": "p", "temp": 1, "rpm": 1e40}""", "\"rpm\" = 1E+40 is beyond float32's range")]
    [InlineData("""{"device": "p", "temp": 1, "rpm": 1, "ts": "yesterday"}""", "\"ts\" (\"yesterday\") is not an ISO-8601 time")]
    [InlineData("""{"device": "p", "temp": 1, "rpm": 1, "ts": "09:00"}""", "is not an ISO-8601 time")]
    [InlineData("""{"temp": 1, "rpm": 1}""", "missing \"device\"")]
    public void Json_names_the_field_that_is_missing_or_not_a_number(string text, string reason)
    {
        var line = Json(text);
        Assert.Null(line.Observation);
        Assert.Equal(7, line.Error!.Position);
        Assert.Contains(reason, line.Error.Reason);
    }

    [Fact]
    public void Explicit_features_do_not_read_an_x_array_but_the_model_s_own_names_do()
    {
        const string text = """{"device": "p", "x": [1, 2]}""";
        Assert.Contains("missing fields", Json(text).Error!.Reason);
        var fromModel = Device with { FeaturesFromModel = true };
        Assert.Equal([1f, 2f], Json(text, fromModel).Observation!.Features);
        Assert.Equal([3f, 4f], Json("""{"device": "p", "temp": 3, "rpm": 4}""", fromModel).Observation!.Features);
    }

    [Theory]
    [InlineData("ms", 1764666000123L)]
    [InlineData("s", 1764666000L)]
    [InlineData("us", 1764666000123456L)]
    [InlineData("ns", 1764666000123456700L)]
    public void Iso_times_become_t_in_the_configured_unit(string unit, long expected)
    {
        var fields = Device with { TimeUnit = InputFields.ParseUnit(unit, "t-unit") };
        Assert.Equal(expected, Json("""{"device": "p", "temp": 1, "rpm": 2, "ts": "2025-12-02T09:00:00.1234567Z"}""", fields).Observation!.T);
        // An offset is honoured; an integer t is taken as it is.
        Assert.Equal(expected, Json("""{"device": "p", "temp": 1, "rpm": 2, "ts": "2025-12-02T10:00:00.1234567+01:00"}""", fields).Observation!.T);
        Assert.Equal(42L, Json("""{"device": "p", "temp": 1, "rpm": 2, "ts": 42}""", fields).Observation!.T);
    }

    [Fact]
    public void Rfc3339_times_read_digit_by_digit_equal_what_DateTimeOffset_parses()
    {
        var random = new Random(17);
        var fields = new InputFields { TimeUnit = TimeUnit.Nanoseconds };
        string[] forms = ["yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-ddTHH:mm:ss.fffZ", "yyyy-MM-ddTHH:mm:ss.fffffffzzz", "yyyy-MM-dd HH:mm:ss.ffzzz", "yyyy-MM-ddTHH:mm:ss"];
        for (int i = 0; i < 5000; i++)
        {
            var time = new DateTimeOffset(new DateTime(1900, 1, 1).AddTicks((long)(random.NextDouble() * (new DateTime(2200, 1, 1) - new DateTime(1900, 1, 1)).Ticks)),
                TimeSpan.FromMinutes(random.Next(-14 * 4, 14 * 4 + 1) * 15));
            string text = time.ToString(forms[i % forms.Length], CultureInfo.InvariantCulture);
            var expected = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            Assert.True(Timestamps.TryParse(System.Text.Encoding.UTF8.GetBytes(text), fields, out long t), text);
            Assert.Equal(fields.ToT(expected), t);
        }

        foreach (string bad in new[] { "2026-02-30T00:00:00Z", "2026-12-02T24:00:00Z", "2026-12-02T09:00:00+25:00", "2026-12-02T09:00:00.Z", "2026-12-02T09:00:00Zx" })
            Assert.False(Timestamps.TryParse(System.Text.Encoding.UTF8.GetBytes(bad), fields, out _), bad);
    }

    [Fact]
    public void Times_before_1970_round_towards_the_past()
    {
        Assert.Equal(-1L, (Device with { TimeUnit = TimeUnit.Seconds }).ToT(DateTimeOffset.UnixEpoch.AddMilliseconds(-1)));
        Assert.Equal(-1L, Device.ToT(DateTimeOffset.UnixEpoch.AddTicks(-1)));
    }

    [Fact]
    public void Csv_maps_named_columns_in_any_order_and_ignores_extra_ones()
    {
        var csv = CsvObservations.FromHeader("site,RPM,ts,extra,Device,temp", Device);
        Assert.Equal(["RPM", "temp"], csv.FeatureNames.Reverse());
        var o = csv.Parse("north,1200,2026-12-02T09:00:00Z,zz,pump-7,21.5", 2).Observation!;
        Assert.Equal("pump-7", o.SequenceId);
        Assert.Equal([21.5f, 1200f], o.Features);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), o.T);
        var bad = csv.Parse("north,fast,,zz,pump-7,21.5", 3).Error!;
        Assert.Equal("pump-7", bad.SequenceId);
        Assert.Contains("column \"RPM\" (\"fast\") is not a number", bad.Reason);
    }

    [Fact]
    public void Csv_refuses_a_header_without_a_named_feature_and_falls_back_for_the_model_s_names()
    {
        var error = Assert.Throws<FormatException>(() => CsvObservations.FromHeader("device,ts,temp,pressure", Device));
        Assert.Contains("no column \"rpm\"", error.Message);
        var csv = CsvObservations.FromHeader("device,ts,a,b", Device with { FeaturesFromModel = true });
        Assert.Equal(["a", "b"], csv.FeatureNames);
        Assert.Contains("does not name the model's features", csv.Notice);
    }

    [Fact]
    public void Field_settings_that_cannot_work_are_refused_naming_the_setting()
    {
        Assert.Contains("features names \"ts\"", Assert.Throws<ArgumentException>(() => (Device with { Features = ["ts"] }).Validate()).Message);
        Assert.Contains("names \"a\" twice", Assert.Throws<ArgumentException>(() => (Device with { Features = ["a", "a"] }).Validate()).Message);
        Assert.Contains("t-unit = \"hours\"", Assert.Throws<ArgumentException>(() => InputFields.ParseUnit("hours", "t-unit")).Message);
        var config = Akka.Configuration.ConfigurationFactory.ParseString("lstm-streams.input { features = [temp, rpm], seq-field = device, t-field = ts, t-unit = s }");
        var read = InputFields.FromConfig(config);
        Assert.Equal(["temp", "rpm"], read.Features);
        Assert.Equal(("device", "ts", TimeUnit.Seconds), (read.SequenceField, read.TimeField, read.TimeUnit));
    }
}
