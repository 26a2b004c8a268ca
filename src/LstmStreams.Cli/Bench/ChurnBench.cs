using Akka.Actor;
using LstmStreams.Core.Model;
using LstmStreams.Settings;

namespace LstmStreams.Cli.Bench;

/// <summary>
/// The churn workload of <c>bench e2e --distinct N --active M</c> (issue 12, part 6): N ids pass through a window
/// of M active ones, so sequences are created, go idle, passivate (with a store: their state written) and new ones
/// arrive all the time. Its yardstick is the steady state of the same M ids, all live (warmed up first), run
/// right after in the same process and with the same settings: the figure to quote is their ratio.
/// </summary>
internal static class ChurnBench
{
    /// <summary>The idle timeout of a churn run unless the config sets one: an id stays in the window for
    /// about M/(N−M) of the run (a few seconds at 1M/100k and 3M observations), so the default 120 s would
    /// passivate nothing and measure creation alone.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Runs the steady state of <paramref name="churn"/>'s active ids and returns the churn figures with it.
    /// <paramref name="settings"/> are the run's without the churn idle timeout: a live id must not passivate
    /// when the machine is slow for a moment (which would turn the steady state into churn).</summary>
    public static EndToEndResult WithSteadyState(EndToEndResult churn, ActorSystem system, RecurrentModel model, StreamingSettings settings, Workload workload, double? rate, TimeSpan? limit)
    {
        // The churn run's keeper may still be writing the states of its last sequences (the stream waits 30 s at
        // most): that would run inside the steady state's measured window.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (churn.StoreFigures is { Pending: > 0 } && waited.Elapsed < TimeSpan.FromMinutes(5)) Thread.Sleep(100);
        var steady = new Workload(workload.Active, workload.Order.Length, model.InputSize);
        Console.Error.WriteLine($"bench e2e: steady state of {workload.Active:N0} live sequences, for the churn ratio");
        var result = EndToEndBench.Run(system, model, settings, steady, rate, limit, warmUp: true, Console.Error);
        return churn with { SteadyObsPerSecond = result.ObsPerSecond };
    }
}
