using LstmStreams.Pipeline;

namespace LstmStreams.Cli.Demo;

/// <summary>
/// A simulated fleet of sensors, each a noisy periodic signal with occasional spikes (anomalies): the
/// same generator config/models/train_demo.py trained the demo model on. Every round each sensor emits one
/// observation, in a fresh random order, so thousands of sequences arrive interleaved. Features are
/// [value, value − previous value].
/// </summary>
internal sealed class SensorFleet
{
    public const double AnomalyRate = 0.01;
    private readonly Random _random;
    private readonly double[] _frequency, _phase, _amplitude, _previous;
    private readonly string[] _ids;
    private readonly HashSet<(int Sensor, long T)> _anomalies = new();

    public SensorFleet(int sensors, int seed = 7)
    {
        _random = new Random(seed);
        _frequency = new double[sensors];
        _phase = new double[sensors];
        _amplitude = new double[sensors];
        _previous = new double[sensors];
        _ids = new string[sensors];
        for (int i = 0; i < sensors; i++)
        {
            _frequency[i] = 0.02 + 0.18 * _random.NextDouble();
            _phase[i] = 2 * Math.PI * _random.NextDouble();
            _amplitude[i] = 0.5 + 1.5 * _random.NextDouble();
            _ids[i] = "sensor/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public int Sensors => _ids.Length;

    /// <summary>Spikes injected so far, by sensor index and t (for the detection summary).</summary>
    public IReadOnlySet<(int Sensor, long T)> Anomalies => _anomalies;

    public static int SensorIndex(string id) => int.Parse(id.AsSpan("sensor/".Length), provider: System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Observations forever: round r holds every sensor's reading, shuffled, at t = origin + r, where origin is
    /// the start time in microseconds since 1970: a later demo on the same store continues each sensor's
    /// state with larger t, so its observations are not taken for replayed duplicates.
    /// </summary>
    public IEnumerable<Observation> Observations()
    {
        var order = Enumerable.Range(0, Sensors).ToArray();
        long origin = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        for (long round = 0; ; round++)
        {
            long t = origin + round;
            _random.Shuffle(order);
            foreach (int i in order)
            {
                double value = _amplitude[i] * Math.Sin(_frequency[i] * round + _phase[i]) + 0.1 * Gaussian();
                if (_random.NextDouble() < AnomalyRate)
                {
                    value += (_random.NextDouble() < 0.5 ? -1 : 1) * (3 + 3 * _random.NextDouble());
                    lock (_anomalies) _anomalies.Add((i, t));
                }

                double delta = round == 0 ? 0 : value - _previous[i];
                _previous[i] = value;
                yield return new Observation(_ids[i], [(float)value, (float)delta], t);
            }
        }
    }

    private double Gaussian()
    {
        double u1 = 1 - _random.NextDouble(), u2 = _random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
