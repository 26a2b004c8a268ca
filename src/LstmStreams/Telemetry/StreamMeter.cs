using System.Diagnostics.Metrics;
using LstmStreams.Pipeline;

namespace LstmStreams.Telemetry;

/// <summary>
/// The one <see cref="Meter"/> of LstmStreams ("LstmStreams"): what exporters (OpenTelemetry, Prometheus,
/// <c>dotnet-counters monitor --counters LstmStreams</c>) read. Counts come from the live pipelines'
/// <see cref="PipelineMetrics"/> through observable instruments, so the hot path pays nothing for them.
/// Instrument names follow OpenTelemetry's conventions (lowercase, dotted); Prometheus sees them with dots as
/// underscores and counters suffixed <c>_total</c> (<c>lstm_streams.observations</c> →
/// <c>lstm_streams_observations_total</c>).
/// </summary>
public static class StreamMeter
{
    /// <summary>The meter's name, for <c>AddMeter</c> and <c>dotnet-counters --counters</c>.</summary>
    public const string Name = "LstmStreams";

    private static readonly Meter Meter = new(Name, typeof(StreamMeter).Assembly.GetName().Version?.ToString());
    private static readonly object Gate = new();
    private static PipelineMetrics[] _pipelines = []; // under Gate
    private static long _finishedAdmitted, _finishedEmitted; // under Gate: what finished pipelines reached (counters never go down)

    static StreamMeter()
    {
        Meter.CreateObservableCounter("lstm_streams.observations", () => Sum(static m => m.Admitted, static () => _finishedAdmitted),
            "{observation}", "Observations admitted into the compute stage.");
        Meter.CreateObservableCounter("lstm_streams.predictions", () => Sum(static m => m.Emitted, static () => _finishedEmitted),
            "{prediction}", "Predictions emitted downstream.");
        Meter.CreateObservableUpDownCounter("lstm_streams.in_flight", () => Sum(static m => m.InFlight),
            "{observation}", "Observations admitted and not yet emitted.");
        Meter.CreateObservableUpDownCounter("lstm_streams.sequences.live", () => Sum(static m => m.LiveSequences),
            "{sequence}", "Sequences with a live actor.");
    }

    /// <summary>Counts <paramref name="metrics"/> in the meter's instruments until <see cref="Forget"/>.</summary>
    internal static void Track(PipelineMetrics metrics)
    {
        lock (Gate) _pipelines = [.. _pipelines, metrics];
    }

    /// <summary>Stops reading <paramref name="metrics"/> (its pipeline stopped); the totals it reached stay in the counters.</summary>
    internal static void Forget(PipelineMetrics metrics)
    {
        lock (Gate)
        {
            int at = Array.IndexOf(_pipelines, metrics);
            if (at < 0) return;
            _finishedAdmitted += metrics.Admitted;
            _finishedEmitted += metrics.Emitted;
            _pipelines = [.. _pipelines[..at], .. _pipelines[(at + 1)..]];
        }
    }

    // Under the lock, so that a pipeline finishing during a collection is counted once, not twice.
    private static long Sum(Func<PipelineMetrics, long> read, Func<long>? finished = null)
    {
        lock (Gate)
        {
            long total = finished?.Invoke() ?? 0;
            foreach (var metrics in _pipelines) total += read(metrics);
            return total;
        }
    }
}
