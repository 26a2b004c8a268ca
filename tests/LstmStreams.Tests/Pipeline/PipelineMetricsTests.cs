using LstmStreams.Pipeline;
using Xunit;

namespace LstmStreams.Tests.Pipeline;

public sealed class PipelineMetricsTests
{
    [Fact]
    public void LatencyBucketOf_puts_every_latency_between_its_bucket_bounds_within_6_percent()
    {
        var random = new Random(5);
        var values = Enumerable.Range(0, 20_000).Select(_ => (long)Math.Exp(random.NextDouble() * 30)).Concat(Enumerable.Range(0, 300).Select(i => (long)i));
        foreach (long micros in values)
        {
            int bucket = PipelineMetrics.LatencyBucketOf(micros);
            double lower = PipelineMetrics.LowerBoundMicros(bucket), upper = PipelineMetrics.LowerBoundMicros(bucket + 1);
            Assert.InRange(micros, lower, upper - 1);
            if (micros >= 8) Assert.True(upper / lower <= 1.125 + 1e-9, $"bucket {bucket} spans {lower}..{upper}");
        }
    }

    [Fact]
    public void LatencyBucketOf_is_monotonic()
    {
        int previous = 0;
        for (long micros = 0; micros < 100_000; micros++)
        {
            int bucket = PipelineMetrics.LatencyBucketOf(micros);
            Assert.True(bucket == previous || bucket == previous + 1, $"{micros} µs: bucket {bucket} after {previous}");
            previous = bucket;
        }
    }
}
