using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;

namespace LstmStreams.Cli.Bench;

/// <summary>
/// <c>dotnet run -c Release --project tests/LstmStreams.Benchmarks -- kernel</c>: steps a random model (fixed seed, no head) of each requested shape
/// with each requested backend and reports the median seq-steps/s and GFLOP/s of several timed repetitions.
/// One step advances B sequences by one observation; GFLOP per step = Σ_layers 2·B·(in+H)·G·H.
/// </summary>
public static class KernelTableCommand
{
    private const int Repetitions = 5;
    private const int Seed = 20260104;

    /// <summary>The <c>kernel</c> command: our backends, plus peers by name ("onnxruntime").</summary>
    /// <param name="peers">Name → factory of a stepper for (model, batch).</param>
    public static Command Create(IReadOnlyDictionary<string, Func<RecurrentModel, int, IBenchStepper>> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var choices = new List<string>(StepKernels.Names) { "all" };
        choices.AddRange(peers.Keys);
        var cell = new Option<string>("--cell") { Description = "lstm or gru.", DefaultValueFactory = _ => "lstm" };
        var input = new Option<int>("--input") { Description = "M: features per observation.", DefaultValueFactory = _ => 8 };
        var hidden = new Option<string>("--hidden") { Description = "H values, comma-separated.", DefaultValueFactory = _ => "64,256" };
        var batch = new Option<string>("--batch") { Description = "B values (sequences per step), comma-separated.", DefaultValueFactory = _ => "1,64,1024" };
        var layers = new Option<int>("--layers") { Description = "Stacked layers.", DefaultValueFactory = _ => 1 };
        var backend = new Option<string>("--backend") { Description = $"One of: {string.Join(", ", choices)}; or several, comma-separated.", DefaultValueFactory = _ => "auto" };
        var threads = new Option<int>("--threads") { Description = "Threads for the managed kernel (0: its default, min(2, cores)).", DefaultValueFactory = _ => 0 };
        var seconds = new Option<double>("--seconds") { Description = "Timed seconds per backend and shape (5 repetitions, interleaved across backends; the median is reported).", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "One JSON object per line per measurement instead of a table." };
        var command = new Command("kernel", "Measure one batched step of a random model: seq-steps/s and GFLOP/s per backend and shape.")
        {
            cell, input, hidden, batch, layers, backend, threads, seconds, json,
        };
        command.SetAction(parse =>
        {
            try
            {
                var cellKind = parse.GetValue(cell)!.Trim().ToLowerInvariant() switch
                {
                    "lstm" => CellKind.Lstm,
                    "gru" => CellKind.Gru,
                    var other => throw new ArgumentException($"--cell must be lstm or gru, not '{other}'."),
                };
                var plan = new Plan(cellKind, Positive(parse.GetValue(input), "--input"), List(parse.GetValue(hidden)!, "--hidden"),
                    List(parse.GetValue(batch)!, "--batch"), Positive(parse.GetValue(layers), "--layers"),
                    Backends(parse.GetValue(backend)!, choices, peers), parse.GetValue(threads), parse.GetValue(seconds), parse.GetValue(json));
                if (plan.Threads < 0) throw new ArgumentException("--threads must be 0 (default) or more.");
                if (!(plan.Seconds > 0)) throw new ArgumentException("--seconds must be more than 0.");
                return Run(plan, peers, Console.Out);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
            catch (PlatformNotSupportedException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private sealed record Plan(CellKind Cell, int Input, int[] Hidden, int[] Batch, int Layers, string[] Backends, int Threads, double Seconds, bool Json);

    private static int Run(Plan plan, IReadOnlyDictionary<string, Func<RecurrentModel, int, IBenchStepper>> peers, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        if (!plan.Json)
            output.WriteLine($"{"backend",-22} {"cell",-4} {"M",4} {"H",5} {"L",2} {"B",6} {"thr",3} {"seq-steps/s",13} {"GFLOP/s",9}");
        foreach (int h in plan.Hidden)
        {
            var model = RandomModel(plan.Cell, plan.Input, h, plan.Layers);
            foreach (int b in plan.Batch)
            {
                var steppers = new List<IBenchStepper>();
                try
                {
                    foreach (string name in plan.Backends)
                        steppers.Add(peers.TryGetValue(name, out var peer) ? peer(model, b) : new KernelStepper(model, name, b, plan.Threads));
                    var rates = Measure(steppers, plan.Seconds);
                    for (int i = 0; i < steppers.Count; i++)
                    {
                        var stepper = steppers[i];
                        double rate = rates[i] * b;
                        double gflops = rate * FlopsPerSequenceStep(model) / 1e9;
                        output.WriteLine(plan.Json
                            ? string.Create(inv, $"{{\"backend\":\"{stepper.Name}\",\"cell\":\"{plan.Cell.ToName()}\",\"input\":{plan.Input},\"hidden\":{h},\"layers\":{plan.Layers},\"batch\":{b},\"threads\":{stepper.Threads},\"seq_steps_per_s\":{rate:F0},\"gflops\":{gflops:F2}}}")
                            : string.Create(inv, $"{stepper.Name,-22} {plan.Cell.ToName(),-4} {plan.Input,4} {h,5} {plan.Layers,2} {b,6} {stepper.Threads,3} {rate,13:N0} {gflops,9:F1}"));
                    }

                    output.Flush();
                }
                finally
                {
                    foreach (var stepper in steppers) stepper.Dispose();
                }
            }
        }

        return 0;
    }

    /// <summary>
    /// Median steps per second of each stepper. The repetitions are interleaved (one slice of each stepper in
    /// turn), so that a neighbour's load on the machine falls on every backend alike; each stepper is warmed
    /// up first for a tenth of the time (at least 3 steps).
    /// </summary>
    private static double[] Measure(List<IBenchStepper> steppers, double seconds)
    {
        var clock = Stopwatch.StartNew();
        foreach (var stepper in steppers)
        {
            clock.Restart();
            for (int i = 0; i < 3 || clock.Elapsed.TotalSeconds < seconds / 10; i++) stepper.Step();
        }

        var rates = new double[steppers.Count][];
        for (int i = 0; i < steppers.Count; i++) rates[i] = new double[Repetitions];
        double slice = seconds / Repetitions;
        for (int r = 0; r < Repetitions; r++)
            for (int i = 0; i < steppers.Count; i++)
            {
                long steps = 0;
                clock.Restart();
                do
                {
                    steppers[i].Step();
                    steps++;
                }
                while (clock.Elapsed.TotalSeconds < slice);
                rates[i][r] = steps / clock.Elapsed.TotalSeconds;
            }

        var medians = new double[steppers.Count];
        for (int i = 0; i < steppers.Count; i++)
        {
            Array.Sort(rates[i]);
            medians[i] = rates[i][Repetitions / 2];
        }

        return medians;
    }

    /// <summary>FLOP to advance one sequence one step: Σ_layers 2·(in+H)·G·H (the head and activations not counted).</summary>
    public static double FlopsPerSequenceStep(RecurrentModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        double flops = 0;
        foreach (var layer in model.Layers) flops += 2.0 * (layer.InputSize + layer.HiddenSize) * layer.GateRows;
        return flops;
    }

    /// <summary>The benchmark model: uniform(−0.25, 0.25) weights and biases of a fixed seed; no head unless
    /// <paramref name="outputs"/> &gt; 0 (then a Linear(H → outputs) with a sigmoid, as <c>bench e2e</c> uses).</summary>
    public static RecurrentModel RandomModel(CellKind cell, int input, int hidden, int layers, int outputs = 0)
    {
        var random = new Random(Seed);
        float[] Values(int count)
        {
            var values = new float[count];
            for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() - 0.5) * 0.5f;
            return values;
        }

        int rows = cell.GateCount() * hidden;
        var stack = new List<RecurrentLayer>();
        for (int k = 0; k < layers; k++)
        {
            int width = k == 0 ? input : hidden;
            stack.Add(new RecurrentLayer(cell, width, hidden, Values(rows * width), Values(rows * hidden), Values(rows), Values(rows)));
        }

        var head = outputs > 0 ? new OutputHead(Values(outputs * hidden), Values(outputs), hidden, HeadActivation.Sigmoid) : null;
        return new RecurrentModel(cell, stack, head);
    }

    /// <summary>Random inputs [count] of the benchmark's fixed seed, uniform(−1, 1).</summary>
    public static float[] RandomInputs(int count)
    {
        var random = new Random(Seed + 1);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new ArgumentException($"{option} must be at least 1, not {value}.");

    private static int[] List(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException($"{option} needs at least one value.");
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] < 1)
                throw new ArgumentException($"{option}: '{parts[i]}' is not a whole number ≥ 1.");
        return values;
    }

    private static string[] Backends(string text, List<string> choices, IReadOnlyDictionary<string, Func<RecurrentModel, int, IBenchStepper>> peers)
    {
        var chosen = new List<string>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string name = part.ToLowerInvariant();
            if (name == "all")
            {
                chosen.Add("managed");
                if (StepKernels.IsAvailable(KernelBackend.OpenBlas)) chosen.Add("openblas");
                chosen.AddRange(peers.Keys);
                chosen.Add("reference");
            }
            else if (choices.Contains(name))
            {
                chosen.Add(name);
            }
            else
            {
                throw new ArgumentException($"unknown backend '{part}'; use one of: {string.Join(", ", choices)}.");
            }
        }

        if (chosen.Count == 0) throw new ArgumentException("--backend needs at least one value.");
        return chosen.Distinct().ToArray();
    }

    /// <summary>One of our kernels on B fresh states, stepping the same inputs each time.</summary>
    private sealed class KernelStepper : IBenchStepper
    {
        private readonly IStepKernel _kernel;
        private readonly float[] _inputs;
        private readonly float[][] _states;
        private readonly float[] _outputs;

        public KernelStepper(RecurrentModel model, string backend, int batch, int threads)
        {
            _kernel = StepKernels.Create(model, StepKernels.Parse(backend), batch, threads);
            _inputs = RandomInputs(batch * model.InputSize);
            _states = new float[batch][];
            for (int b = 0; b < batch; b++) _states[b] = model.NewState();
            _outputs = new float[batch * model.OutputSize];
        }

        public string Name => _kernel.Name;

        public int Threads => _kernel switch
        {
            LstmStreams.Core.Kernels.Managed.ManagedKernel managed => managed.ThreadsFor(_states.Length),
            LstmStreams.Core.Kernels.OpenBlas.OpenBlasKernel blas => blas.Threads,
            _ => 1,
        };

        public void Step() => _kernel.Step(_inputs, _states, _outputs);

        public void Dispose() => _kernel.Dispose();
    }
}

/// <summary>One benchmark subject prepared for a fixed model and batch: each <see cref="Step"/> advances B sequences once.</summary>
public interface IBenchStepper : IDisposable
{
    /// <summary>The name reported (e.g. "managed-avx512", "onnxruntime").</summary>
    string Name { get; }

    /// <summary>Threads one step uses at this batch.</summary>
    int Threads { get; }

    /// <summary>Advances every sequence of the batch by one step, feeding the state back.</summary>
    void Step();
}
