namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// The kernel's second thread: it claims items of the current phase from the back of the
/// <see cref="WorkBoard"/> while there are any, spins about 50 µs for the next phase or step (back-to-back
/// steps hand over in well under a microsecond), then sleeps until <see cref="Wake"/>, so an idle kernel costs
/// no CPU. The calling thread never waits for it to start: it takes whatever the worker has not claimed.
/// </summary>
internal sealed class StepWorker : IDisposable
{
    private const int IdleSpins = 50;
    private readonly WorkBoard _board;
    private readonly Func<bool> _help;
    private readonly ManualResetEventSlim _wake = new(false, 0);
    private readonly Thread _thread;
    private Exception? _failure;
    private int _sleeping;
    private volatile bool _stopping;

    /// <param name="board">Where the work is published.</param>
    /// <param name="help">Claims and runs one item; false when there was none.</param>
    public StepWorker(WorkBoard board, Func<bool> help)
    {
        _board = board;
        _help = help;
        _thread = new Thread(Loop) { IsBackground = true, Name = "lstm-streams kernel worker" };
        _thread.Start();
    }

    /// <summary>Call after publishing work: wakes the worker if it sleeps.</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _sleeping) == 1) _wake.Set();
    }

    /// <summary>Rethrows (once) a failure of an item the worker ran.</summary>
    public void ThrowIfFailed()
    {
        if (Interlocked.Exchange(ref _failure, null) is { } failure)
            throw new InvalidOperationException("the kernel worker failed", failure);
    }

    private void Loop()
    {
        int idle = 0;
        while (!_stopping)
        {
            bool worked;
            try
            {
                worked = _help();
            }
            catch (Exception e)
            {
                _failure = e;
                worked = true;
            }

            if (worked)
            {
                idle = 0;
                continue;
            }

            if (++idle < IdleSpins)
            {
                Thread.SpinWait(30);
                continue;
            }

            Interlocked.Exchange(ref _sleeping, 1); // a full fence: Wake either sees it or we see the new work
            if (!_board.HasWork && !_stopping) _wake.Wait();
            _wake.Reset();
            Interlocked.Exchange(ref _sleeping, 0);
            idle = 0;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }
}
