using Akka.Configuration;

namespace LstmStreams.Formats;

/// <summary>The unit a timestamp text (ISO-8601 / RFC 3339) is turned into for <c>t</c>.</summary>
public enum TimeUnit
{
    /// <summary>Milliseconds since 1970-01-01T00:00:00Z (the default).</summary>
    Milliseconds,

    /// <summary>Seconds since the epoch.</summary>
    Seconds,

    /// <summary>Microseconds since the epoch.</summary>
    Microseconds,

    /// <summary>Nanoseconds since the epoch (100 ns resolution: .NET's tick).</summary>
    Nanoseconds,
}

/// <summary>
/// Which fields of an input record (JSON object or CSV row) are the sequence id, the time and the features,
/// so devices' own payloads (<c>{"device": "pump-7", "ts": "2026-12-02T09:00:00Z", "temp": 21.5, "rpm": 1200}</c>)
/// are read without a conversion script. Read from <c>lstm-streams.input</c>; the CLI's <c>--features</c>,
/// <c>--seq-field</c>, <c>--t-field</c> and <c>--t-unit</c> override it.
/// </summary>
public sealed record InputFields
{
    /// <summary>The field (JSON) or column (CSV) holding the sequence id.</summary>
    public string SequenceField { get; init; } = "seq";

    /// <summary>The field or column holding t: an integer, or an ISO-8601 / RFC 3339 time text.</summary>
    public string TimeField { get; init; } = "t";

    /// <summary>What a time text becomes (integers are taken as they are).</summary>
    public TimeUnit TimeUnit { get; init; } = TimeUnit.Milliseconds;

    /// <summary>
    /// The named fields (JSON) or columns (CSV) that are the model's inputs, in the model's input order; null
    /// for the default: JSON's <c>x</c> array, CSV's columns other than seq, t, reset and end in header order.
    /// </summary>
    public IReadOnlyList<string>? Features { get; init; }

    /// <summary>
    /// True when <see cref="Features"/> are the model file's own feature names rather than the user's choice:
    /// then a JSON record with an <c>x</c> array is still read from the array (files written for the model
    /// before it recorded names keep working); named fields are read when there is no <c>x</c>.
    /// </summary>
    public bool FeaturesFromModel { get; init; }

    /// <summary>The defaults: <c>seq</c>, <c>t</c>, milliseconds, features from <c>x</c>.</summary>
    public static InputFields Default { get; } = new();

    /// <summary>Reads <c>lstm-streams.input</c> (missing keys take the defaults).</summary>
    /// <exception cref="ArgumentException">A value is unusable; the message names the key.</exception>
    public static InputFields FromConfig(Config config)
    {
        var section = config.HasPath("lstm-streams.input") ? config.GetConfig("lstm-streams.input") : ConfigurationFactory.Empty;
        var fields = new InputFields
        {
            SequenceField = section.GetString("seq-field", "seq"),
            TimeField = section.GetString("t-field", "t"),
            TimeUnit = ParseUnit(section.GetString("t-unit", "ms"), "lstm-streams.input.t-unit"),
            Features = section.HasPath("features") ? section.GetStringList("features") is { Count: > 0 } list ? list.ToArray() : null : null,
        };
        fields.Validate("lstm-streams.input.");
        return fields;
    }

    /// <summary>Parses a comma-separated feature list (<c>--features temp,rpm</c>).</summary>
    public static IReadOnlyList<string> ParseFeatureList(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Parses a time unit name: ms, s, us, ns.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message names <paramref name="key"/>.</exception>
    public static TimeUnit ParseUnit(string text, string key) => text.Trim().ToLowerInvariant() switch
    {
        "ms" or "millis" or "milliseconds" => TimeUnit.Milliseconds,
        "s" or "seconds" => TimeUnit.Seconds,
        "us" or "micros" or "microseconds" => TimeUnit.Microseconds,
        "ns" or "nanos" or "nanoseconds" => TimeUnit.Nanoseconds,
        _ => throw new ArgumentException($"{key} = \"{text}\": use ms, s, us or ns."),
    };

    /// <summary>Checks the fields name distinct, non-empty things.</summary>
    /// <exception cref="ArgumentException">The message names the setting (<paramref name="prefix"/>) and the fix.</exception>
    public void Validate(string prefix = "")
    {
        if (string.IsNullOrWhiteSpace(SequenceField)) throw new ArgumentException($"{prefix}seq-field is empty: name the field that holds the sequence id.");
        if (string.IsNullOrWhiteSpace(TimeField)) throw new ArgumentException($"{prefix}t-field is empty: name the field that holds t.");
        if (SequenceField == TimeField) throw new ArgumentException($"{prefix}seq-field and t-field are both \"{SequenceField}\": name two different fields.");
        if (Features is null) return;
        if (Features.Count == 0) throw new ArgumentException($"{prefix}features is empty: name at least one field, or leave it unset for the x array.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in Features)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"{prefix}features has an empty name.");
            if (!seen.Add(name)) throw new ArgumentException($"{prefix}features names \"{name}\" twice.");
            if (name == SequenceField || name == TimeField || name is "reset" or "end")
                throw new ArgumentException($"{prefix}features names \"{name}\", which is the id, time, reset or end field: a feature must be another field.");
        }
    }

    /// <summary>Converts a point in time to t in <see cref="TimeUnit"/> since the Unix epoch.</summary>
    public long ToT(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return TimeUnit switch
        {
            TimeUnit.Seconds => FloorDivide(ticks, TimeSpan.TicksPerSecond),
            TimeUnit.Microseconds => FloorDivide(ticks, TimeSpan.TicksPerMicrosecond),
            TimeUnit.Nanoseconds => ticks * TimeSpan.NanosecondsPerTick,
            _ => FloorDivide(ticks, TimeSpan.TicksPerMillisecond),
        };
    }

    // Times before 1970 round down (towards the past), as Unix times do.
    private static long FloorDivide(long value, long divisor) => value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor);
}
