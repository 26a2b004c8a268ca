using Akka.Configuration;

namespace LstmStreams.Cluster;

/// <summary>The <c>lstm-streams.cluster</c> section (reference.conf documents each key and its default).</summary>
public sealed record ClusterSettings
{
    /// <summary>Shards: the unit of placement and of routing. All nodes must agree.</summary>
    public int NumberOfShards { get; init; } = 30;

    /// <summary>Observations an ingesting node keeps until a durable snapshot includes them.</summary>
    public int MaxUnreleased { get; init; } = 1048576;

    /// <summary>How often a hosting node flushes its store and releases observations.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a node prints its status line.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The embedded reference.conf: this section and the Akka settings a node starts with.</summary>
    public static Config ReferenceConfig { get; } = ReadReference();

    /// <summary>Reads <c>lstm-streams.cluster</c> from <paramref name="config"/> (with the reference beneath it).</summary>
    public static ClusterSettings From(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        // Akka refuses a config as its own fallback: the reference read as it is stays as it is.
        var section = (ReferenceEquals(config, ReferenceConfig) ? config : config.WithFallback(ReferenceConfig)).GetConfig("lstm-streams.cluster");
        var settings = new ClusterSettings
        {
            NumberOfShards = section.GetInt("number-of-shards"),
            MaxUnreleased = section.GetInt("max-unreleased"),
            CheckpointInterval = section.GetTimeSpan("checkpoint-interval"),
            StatusInterval = section.GetTimeSpan("status-interval"),
        };
        settings.Validate();
        return settings;
    }

    /// <summary>Throws naming the key of the first value out of range.</summary>
    public void Validate()
    {
        if (NumberOfShards is < 1 or > 100_000)
            throw new ArgumentException($"lstm-streams.cluster.number-of-shards = {NumberOfShards}: must be in 1..100000 (about ten per node).");
        if (MaxUnreleased < 1)
            throw new ArgumentException($"lstm-streams.cluster.max-unreleased = {MaxUnreleased}: must be at least 1.");
        if (CheckpointInterval <= TimeSpan.Zero)
            throw new ArgumentException($"lstm-streams.cluster.checkpoint-interval = {CheckpointInterval}: must be positive.");
        if (StatusInterval <= TimeSpan.Zero)
            throw new ArgumentException($"lstm-streams.cluster.status-interval = {StatusInterval}: must be positive.");
    }

    private static Config ReadReference()
    {
        using var stream = typeof(ClusterSettings).Assembly.GetManifestResourceStream("LstmStreams.Cluster.reference.conf")
            ?? throw new InvalidOperationException("LstmStreams.Cluster.reference.conf is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
