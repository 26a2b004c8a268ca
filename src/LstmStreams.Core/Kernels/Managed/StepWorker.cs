namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// A dedicated thread that runs its share of a step when started and signals when done. It spins briefly
/// before blocking, so back-to-back steps hand over in well under a microsecond while an idle kernel costs
/// no CPU.
/// </summary>
internal sealed class StepWorker : IDisposable
{
    private const int SpinCount = 2047;
    private readonly Action _work;
    private readonly ManualResetEventSlim _start = new(false, SpinCount);
    private readonly ManualResetEventSlim _done = new(false, SpinCount);
    private readonly Thread _thread;
    private Exception? _failure;
    private volatile bool _stopping;

    public StepWorker(Action work)
    {
        _work = work;
        _thread = new Thread(Loop) { IsBackground = true, Name = "lstm-streams kernel worker" };
        _thread.Start();
    }

    public void Start()
    {
        _done.Reset();
        _start.Set();
    }

    public void Wait()
    {
        _done.Wait();
        if (_failure is { } failure)
        {
            _failure = null;
            throw new InvalidOperationException("the kernel worker failed", failure);
        }
    }

    private void Loop()
    {
        while (true)
        {
            _start.Wait();
            _start.Reset();
            if (_stopping) return;
            try
            {
                _work();
            }
            catch (Exception e)
            {
                _failure = e;
            }

            _done.Set();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _start.Set();
        _thread.Join();
        _start.Dispose();
        _done.Dispose();
    }
}
