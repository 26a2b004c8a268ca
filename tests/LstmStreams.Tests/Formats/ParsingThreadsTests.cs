using LstmStreams.Formats;
using LstmStreams.Pipeline;

namespace LstmStreams.Tests.Formats;

public sealed class ParsingThreadsTests
{
    [Fact]
    public async Task ParsingThreads_run_work_on_their_own_threads_and_return_its_result()
    {
        using var threads = new ParsingThreads(2);
        string? name = null;
        bool pool = true;
        var groups = await threads.Run(() =>
        {
            name = Thread.CurrentThread.Name;
            pool = Thread.CurrentThread.IsThreadPoolThread;
            return [[new Observation("a", [1f])]];
        });

        Assert.Equal("lstm-parse", name);
        Assert.False(pool);
        Assert.Equal("a", Assert.Single(Assert.Single(groups)).SequenceId);
    }

    [Fact]
    public async Task ParsingThreads_pass_on_a_failure_and_go_on()
    {
        using var threads = new ParsingThreads(1);
        await Assert.ThrowsAsync<InvalidDataException>(() => threads.Run(() => throw new InvalidDataException("bad chunk")));
        Assert.Empty(await threads.Run(() => []));
    }

    [Fact]
    public async Task ParsingThreads_finish_the_work_given_before_dispose()
    {
        var threads = new ParsingThreads(2);
        var started = new ManualResetEventSlim();
        var slow = threads.Run(() =>
        {
            started.Set();
            Thread.Sleep(100);
            return [[new Observation("slow", [1f])]];
        });
        var queued = Enumerable.Range(0, 10).Select(i => threads.Run(() => [[new Observation("q" + i, [1f])]])).ToList();
        started.Wait(TimeSpan.FromSeconds(10));
        threads.Dispose();

        Assert.Equal("slow", (await slow)[0][0].SequenceId);
        for (int i = 0; i < queued.Count; i++) Assert.Equal("q" + i, (await queued[i])[0][0].SequenceId);
    }
}
