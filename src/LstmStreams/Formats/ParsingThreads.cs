using System.Collections.Concurrent;

namespace LstmStreams.Formats;

/// <summary>
/// Threads of their own for parsing chunks, apart from the thread pool that runs Akka's stream actors and the sink:
/// a chunk takes ~1 ms to parse, and while the pool's threads parse, the actor that hands the compute stage its
/// next group waits behind them. Started with the first chunk; the threads end on <see cref="Dispose"/>.
/// </summary>
internal sealed class ParsingThreads : IDisposable
{
    private readonly BlockingCollection<(Func<List<Pipeline.Observation[]>> Parse, TaskCompletionSource<List<Pipeline.Observation[]>> Done)> _work = new();
    private readonly int _count;
    private int _started;

    /// <summary>Parses on <paramref name="count"/> threads.</summary>
    public ParsingThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _count = count;
    }

    /// <summary>Runs <paramref name="parse"/> on one of the threads.</summary>
    public Task<List<Pipeline.Observation[]>> Run(Func<List<Pipeline.Observation[]>> parse)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            for (int i = 0; i < _count; i++)
                new Thread(Work) { IsBackground = true, Name = "lstm-parse" }.Start();
        }

        var done = new TaskCompletionSource<List<Pipeline.Observation[]>>();
        _work.Add((parse, done));
        return done.Task;
    }

    /// <inheritdoc />
    public void Dispose() => _work.CompleteAdding();

    private void Work()
    {
        foreach (var (parse, done) in _work.GetConsumingEnumerable())
        {
            try
            {
                done.SetResult(parse());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
    }
}
