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
            MaxBatchSize = section.GetInt("max-batch-size"),
            MaxBatchDelay = section.GetTimeSpan("max-batch-delay"),
            MaxInFlight = section.GetInt("max-in-flight"),
            Passivation = section.GetString("passivation").Trim().ToLowerInvariant() switch
            {
                "idle" => PassivationMode.Idle,
                "never" => PassivationMode.Never,
                var other => throw new ArgumentException($"lstm-streams.passivation = \"{other}\": use \"idle\" or \"never\"."),
            },
            IdleTimeout = section.GetTimeSpan("idle-timeout"),
            Kernel = StepKernels.Parse(section.GetString("kernel")),
            MaxAbsFeature = (float)section.GetDouble("max-abs-feature"),
            ComputeDispatcher = section.GetString("compute-dispatcher"),
            RegionDispatcher = section.GetString("region-dispatcher"),
            SequenceDispatcher = section.GetString("sequence-dispatcher"),
            KernelThreads = section.GetInt("kernel-threads"),
            Persistence = ReadPersistence(section.GetConfig("persistence")),
        };
        settings.Validate();
        return settings;
    }

    /// <summary>Checks every value; the message names the HOCON key and the fix.</summary>
    public void Validate()
    {
        if (MaxBatchSize < 1)
            throw new ArgumentException($"lstm-streams.max-batch-size = {MaxBatchSize}: must be at least 1.");
        if (MaxInFlight < 1)
            throw new ArgumentException($"lstm-streams.max-in-flight = {MaxInFlight}: must be at least 1.");
        if (MaxBatchDelay < TimeSpan.Zero)
            throw new ArgumentException($"lstm-streams.max-batch-delay = {MaxBatchDelay}: must not be negative.");
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
            store = StoreLocation.Parse(section.GetString("store"));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException("lstm-streams.persistence." + e.Message, e);
        }

        return new PersistenceSettings
        {
            Store = store,
            SnapshotEvery = section.GetInt("snapshot-every"),
            SnapshotInterval = section.GetTimeSpan("snapshot-interval"),
            OnShapeMismatch = section.GetString("on-shape-mismatch").Trim().ToLowerInvariant() switch
            {
                "refuse" => ShapeMismatchPolicy.Refuse,
                "start-fresh" => ShapeMismatchPolicy.StartFresh,
                var other => throw new ArgumentException($"lstm-streams.persistence.on-shape-mismatch = \"{other}\": use \"refuse\" or \"start-fresh\"."),
            },
            Parallelism = section.GetInt("parallelism"),
            RetryMinBackoff = section.GetTimeSpan("retry-min-backoff"),
            RetryMaxBackoff = section.GetTimeSpan("retry-max-backoff"),
            OperationTimeout = section.GetTimeSpan("operation-timeout"),
            PersistenceIdPrefix = section.GetString("persistence-id-prefix"),
        };
    }

    private static Config LoadReference()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("LstmStreams.reference.conf")
            ?? throw new InvalidOperationException("the embedded reference.conf is missing from the LstmStreams assembly.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
