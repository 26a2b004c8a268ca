using LstmStreams.Settings;

namespace LstmStreams.Sequences;

/// <summary>
/// Decides when an idle sequence's actor is stopped. Pluggable: the region asks it how often to look and
/// whether a sequence idle for so long should go. (Until durable state lands, passivation forgets the state.)
/// </summary>
public interface IPassivationPolicy
{
    /// <summary>How often the region sweeps its sequences; null: never.</summary>
    TimeSpan? SweepInterval { get; }

    /// <summary>Whether a sequence with no observation for <paramref name="idle"/> should be passivated.</summary>
    bool ShouldPassivate(TimeSpan idle);
}

/// <summary>Passivate after a fixed idle time.</summary>
public sealed class IdleTimeoutPassivation(TimeSpan idleTimeout) : IPassivationPolicy
{
    /// <inheritdoc />
    public TimeSpan? SweepInterval { get; } = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 10, idleTimeout.Ticks / 4));

    /// <inheritdoc />
    public bool ShouldPassivate(TimeSpan idle) => idle >= idleTimeout;
}

/// <summary>Never passivate.</summary>
public sealed class NeverPassivate : IPassivationPolicy
{
    /// <inheritdoc />
    public TimeSpan? SweepInterval => null;

    /// <inheritdoc />
    public bool ShouldPassivate(TimeSpan idle) => false;
}

/// <summary>Builds the policy the settings name.</summary>
public static class PassivationPolicies
{
    /// <summary>The policy for <paramref name="settings"/>.</summary>
    public static IPassivationPolicy From(StreamingSettings settings) => settings.Passivation switch
    {
        PassivationMode.Never => new NeverPassivate(),
        _ => new IdleTimeoutPassivation(settings.IdleTimeout),
    };
}
