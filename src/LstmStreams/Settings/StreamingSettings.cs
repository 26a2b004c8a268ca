using System.Reflection;
using Akka.Configuration;
using LstmStreams.Core.Kernels;
using LstmStreams.Persistence;

namespace LstmStreams.Settings;

/// <summary>How idle sequences are passivated.</summary>
public enum PassivationMode
{
    /// <summary>Stop a sequence's actor after <see cref="StreamingSettings.IdleTimeout"/> without an observation.</summary>
    Idle,

    /// <summary>Never passivate.</summary>
    Never,
}

/// <summary>
/// The runtime's settings, read once from the <c>lstm-streams</c> HOCON section (every key is documented
/// in the embedded reference.conf).
/// </summary>
public sealed record StreamingSettings
{
    /// <summary>Largest batch per kernel call.</summary>
    public int MaxBatchSize { get; init; } = 1024;

    /// <summary>How long to wait to fill a batch when the kernel is free (zero: never wait).</summary>
    public TimeSpan MaxBatchDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Observations admitted but not yet emitted.</summary>
    public int MaxInFlight { get; init; } = 16384;

    /// <summary>Passivation policy.</summary>
    public PassivationMode Passivation { get; init; } = PassivationMode.Idle;

    /// <summary>Idle time before a sequence is passivated.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the command line prints a plain status line when stderr is not a terminal.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The step kernel backend.</summary>
    public KernelBackend Kernel { get; init; } = KernelBackend.Auto;

    /// <summary>Largest accepted |feature|.</summary>
    public float MaxAbsFeature { get; init; } = 1e15f;

    /// <summary>Dispatcher id for the compute stage; null or empty to run it on the stream's default.</summary>
    public string? ComputeDispatcher { get; init; } = "lstm-streams.pinned-dispatcher";

    /// <summary>Dispatcher id for the sequence region.</summary>
    public string RegionDispatcher { get; init; } = "lstm-streams.pinned-dispatcher";

    /// <summary>Dispatcher id for the sequence actors.</summary>
    public string SequenceDispatcher { get; init; } = "lstm-streams.inline-dispatcher";

    /// <summary>Threads per kernel step (0: automatic).</summary>
    public int KernelThreads { get; init; } = 1;

    /// <summary>Durable sequence state: the store and when snapshots are taken.</summary>
    public PersistenceSettings Persistence { get; init; } = new();

    /// <summary>The embedded reference.conf: every key with its default.</summary>
    public static Config ReferenceConfig { get; } = LoadReference();

    /// <summary>The defaults.</summary>
    public static StreamingSettings Default { get; } = FromConfig(ReferenceConfig);

    /// <summary>Reads the <c>lstm-streams</c> section of <paramref name="config"/> (with the reference defaults beneath).</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the key.</exception>
    public static StreamingSettings FromConfig(Config config)
    {
        var merged = ReferenceEquals(config, ReferenceConfig) ? config : config.WithFallback(ReferenceConfig);
        var section = merged.GetConfig("lstm-streams");
        var settings = new StreamingSettings
        {
            MaxBatchSize = Read(section, "max-batch-size", c => c.GetInt("max-batch-size")),
            MaxBatchDelay = Read(section, "max-batch-delay", c => c.GetTimeSpan("max-batch-delay")),
            MaxInFlight = Read(section, "max-in-flight", c => c.GetInt("max-in-flight")),
            Passivation = Read(section, "passivation", c => c.GetString("passivation")).Trim().ToLowerInvariant() switch
            {
                "idle" => PassivationMode.Idle,
                "never" => PassivationMode.Never,
                var other => throw new ArgumentException($"lstm-streams.passivation = \"{other}\": use \"idle\" or \"never\"."),
            },
            IdleTimeout = Read(section, "idle-timeout", c => c.GetTimeSpan("idle-timeout")),
            StatusInterval = Read(section, "status-interval", c => c.GetTimeSpan("status-interval")),
            Kernel = Read(section, "kernel", c => StepKernels.Parse(c.GetString("kernel"))),
            MaxAbsFeature = (float)Read(section, "max-abs-feature", c => c.GetDouble("max-abs-feature")),
            ComputeDispatcher = Read(section, "compute-dispatcher", c => c.GetString("compute-dispatcher")),
            RegionDispatcher = Read(section, "region-dispatcher", c => c.GetString("region-dispatcher")),
            SequenceDispatcher = Read(section, "sequence-dispatcher", c => c.GetString("sequence-dispatcher")),
            KernelThreads = Read(section, "kernel-threads", c => c.GetInt("kernel-threads")),
            Persistence = ReadPersistence(section.GetConfig("persistence")),
        };
        settings.Validate();
        return settings;
    }

    /// <summary>The largest max-batch-size accepted.</summary>
    public const int MaxBatchSizeLimit = 65_536;

    /// <summary>The largest max-in-flight accepted.</summary>
    public const int MaxInFlightLimit = 16_777_216;

    /// <summary>Checks every value; the message names the HOCON key and the fix.</summary>
    public void Validate()
    {
        if (MaxBatchSize is < 1 or > MaxBatchSizeLimit)
            throw new ArgumentException($"lstm-streams.max-batch-size = {MaxBatchSize}: must be between 1 and {MaxBatchSizeLimit} (batches beyond a few thousand gain nothing and the kernel's workspaces grow with it).");
        if (MaxInFlight is < 1 or > MaxInFlightLimit)
            throw new ArgumentException($"lstm-streams.max-in-flight = {MaxInFlight}: must be between 1 and {MaxInFlightLimit}.");
        if (MaxBatchDelay < TimeSpan.Zero)
            throw new ArgumentException($"lstm-streams.max-batch-delay = {MaxBatchDelay}: must not be negative.");
        if (StatusInterval <= TimeSpan.Zero)
            throw new ArgumentException($"lstm-streams.status-interval = {StatusInterval}: must be positive, e.g. 10s.");
        if (IdleTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"lstm-streams.idle-timeout = {IdleTimeout}: must be positive (use passivation = never to keep sequences).");
        if (KernelThreads < 0)
            throw new ArgumentException($"lstm-streams.kernel-threads = {KernelThreads}: must be 0 (automatic) or more.");
        if (!(MaxAbsFeature > 0))
            throw new ArgumentException($"lstm-streams.max-abs-feature = {MaxAbsFeature}: must be positive.");
        Persistence.Validate();
    }

    private static PersistenceSettings ReadPersistence(Config section)
    {
        StoreLocation store;
        try
        {
            store = StoreLocation.Parse(Read(section, "persistence.store", c => c.GetString("store")));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException("lstm-streams.persistence." + e.Message, e);
        }

        return new PersistenceSettings
        {
            Store = store,
            SnapshotEvery = Read(section, "persistence.snapshot-every", c => c.GetInt("snapshot-every")),
            SnapshotInterval = Read(section, "persistence.snapshot-interval", c => c.GetTimeSpan("snapshot-interval")),
            OnShapeMismatch = Read(section, "persistence.on-shape-mismatch", c => c.GetString("on-shape-mismatch")).Trim().ToLowerInvariant() switch
            {
                "refuse" => ShapeMismatchPolicy.Refuse,
                "start-fresh" => ShapeMismatchPolicy.StartFresh,
                var other => throw new ArgumentException($"lstm-streams.persistence.on-shape-mismatch = \"{other}\": use \"refuse\" or \"start-fresh\"."),
            },
            Parallelism = Read(section, "persistence.parallelism", c => c.GetInt("parallelism")),
            RetryMinBackoff = Read(section, "persistence.retry-min-backoff", c => c.GetTimeSpan("retry-min-backoff")),
            RetryMaxBackoff = Read(section, "persistence.retry-max-backoff", c => c.GetTimeSpan("retry-max-backoff")),
            OperationTimeout = Read(section, "persistence.operation-timeout", c => c.GetTimeSpan("operation-timeout")),
            PersistenceIdPrefix = Read(section, "persistence.persistence-id-prefix", c => c.GetString("persistence-id-prefix")),
            IdFilter = Read(section, "persistence.id-filter", c => c.GetBoolean("id-filter")),
        };
    }

    /// <summary>Reads one key; a value of the wrong type (or one Akka's parser refuses) names the key.</summary>
    private static T Read<T>(Config section, string key, Func<Config, T> read)
    {
        try
        {
            return read(section);
        }
        catch (ArgumentException e) when (e.Message.StartsWith("lstm-streams.", StringComparison.Ordinal))
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ArgumentException($"lstm-streams.{key}: {e.Message.Replace(" (Parameter 'name')", "", StringComparison.Ordinal)}", e);
        }
    }

    private static Config LoadReference()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("LstmStreams.reference.conf")
            ?? throw new InvalidOperationException("the embedded reference.conf is missing from the LstmStreams assembly.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
