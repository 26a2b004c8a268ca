using System.Diagnostics;
using System.Globalization;

namespace LstmStreams.Cli.Running;

/// <summary>
/// A live progress line on stderr (observations, rate, mean batch size, live sequences), redrawn once a
/// second. Only shown when stderr is a terminal, or when forced (the demo).
/// </summary>
internal sealed class Progress(TextWriter output, string label, bool carriageReturn = true)
{
    private Timer? _timer;
    private Func<(long Done, double Batch, int Live)>? _read;
    private readonly Stopwatch _clock = new();
    private long _lastDone;
    private TimeSpan _lastTime;

    public static Progress? ForStderrIfTerminal(string label) =>
        Console.IsErrorRedirected ? null : new Progress(Console.Error, label);

    public void Start(Func<(long Done, double Batch, int Live)> read)
    {
        _read = read;
        _clock.Start();
        var period = carriageReturn ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(2);
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
            output.Write(string.Create(CultureInfo.InvariantCulture,
                $"{(carriageReturn ? "\r" : "")}{label}: {done,12:N0} observations  {rate,12:N0}/s  batch {batch,7:F1}  live sequences {live,9:N0}  {now:hh\\:mm\\:ss}"));
            if (final || !carriageReturn) output.WriteLine();
        }
    }
}
