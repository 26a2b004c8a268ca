using System.Diagnostics;
using System.Globalization;

namespace LstmStreams.Cli.Running;

/// <summary>
/// Progress on stderr: on a terminal a line redrawn once a second (observations, rate, mean batch size, live
/// sequences); otherwise (a service, a container, CI) a plain status line every status interval, with the time and
/// <c>key=value</c> words for scripts and log collectors.
/// </summary>
internal sealed class Progress(TextWriter output, string label, bool carriageReturn = true, TimeSpan? statusInterval = null)
{
    private Timer? _timer;
    private Func<(long Done, double Batch, int Live)>? _read;
    private readonly Stopwatch _clock = new();
    private long _lastDone;
    private TimeSpan _lastTime;

    /// <summary>The progress of a command on stderr: redrawn on a terminal, a status line every
    /// <paramref name="statusInterval"/> otherwise.</summary>
    public static Progress ForStderr(string label, TimeSpan statusInterval) =>
        new(Console.Error, label, carriageReturn: !Console.IsErrorRedirected, statusInterval);

    public void Start(Func<(long Done, double Batch, int Live)> read)
    {
        _read = read;
        _clock.Start();
        var period = carriageReturn ? TimeSpan.FromSeconds(1) : statusInterval ?? TimeSpan.FromSeconds(10);
        _timer = new Timer(_ => Draw(final: false), null, period, period);
    }

    public void Stop()
    {
        _timer?.Dispose();
        _timer = null;
        Draw(final: true);
    }

    private void Draw(bool final)
    {
        if (_read is null) return;
        var (done, batch, live) = _read();
        var now = _clock.Elapsed;
        double rate = (done - _lastDone) / Math.Max((now - _lastTime).TotalSeconds, 1e-9);
        if (final) rate = done / Math.Max(now.TotalSeconds, 1e-9);
        (_lastDone, _lastTime) = (done, now);
        lock (output)
        {
            if (!carriageReturn)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {label}{(final ? " done" : "")} obs={done} obs_per_s={rate:F0} batch={batch:F1} live={live} elapsed_s={now.TotalSeconds:F1}"));
                return;
            }

            output.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r{label}: {done,12:N0} observations  {rate,12:N0}/s  batch {batch,7:F1}  live sequences {live,9:N0}  {now:hh\\:mm\\:ss}"));
            if (final) output.WriteLine();
        }
    }
}
