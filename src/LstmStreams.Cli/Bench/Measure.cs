using System.Diagnostics;

namespace LstmStreams.Cli.Bench;

/// <summary>Times a repeated action: warm-up, then several timed repetitions; the median is reported.</summary>
internal static class Measure
{
    /// <summary>Median calls per second of <paramref name="step"/> over <paramref name="repetitions"/> slices of <paramref name="budget"/>.</summary>
    public static double MedianRate(Action step, TimeSpan budget, int repetitions = 5)
    {
        var warmUp = Stopwatch.StartNew();
        do step();
        while (warmUp.Elapsed < budget / 10 || warmUp.ElapsedMilliseconds < 50);

        var slice = budget / repetitions;
        var rates = new double[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            long calls = 0;
            var clock = Stopwatch.StartNew();
            do
            {
                step();
                calls++;
            }
            while (clock.Elapsed < slice);
            rates[r] = calls / clock.Elapsed.TotalSeconds;
        }

        Array.Sort(rates);
        return rates[repetitions / 2];
    }

    /// <summary>Parses "64,256" into numbers; the message names the option.</summary>
    public static int[] List(string text, string option)
    {
        try
        {
            var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
            if (values.Length == 0 || values.Any(v => v < 1)) throw new FormatException();
            return values;
        }
        catch (FormatException)
        {
            throw new ArgumentException($"{option} takes positive integers separated by commas, e.g. 64,256; got '{text}'.");
        }
    }
}
