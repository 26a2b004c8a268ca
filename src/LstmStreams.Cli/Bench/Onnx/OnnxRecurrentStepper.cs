using LstmStreams.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace LstmStreams.Cli.Bench.Onnx;

/// <summary>
/// ONNX Runtime as the peer: the model's LSTM/GRU ops with seq_len 1, every buffer bound once through
/// <see cref="OrtIoBinding"/>, and the state fed back each call by swapping two bindings (call t reads
/// buffer set t mod 2 and writes the other), so no copy is charged to it.
/// </summary>
public sealed class OnnxRecurrentStepper : IBenchStepper
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly OrtIoBinding[] _bindings = new OrtIoBinding[2];
    private readonly List<OrtValue> _values = [];
    private readonly float[][][] _state; // [set][layer] → [B, H] for h (and [B, H] for c after it, LSTM)
    private int _turn;

    public OnnxRecurrentStepper(RecurrentModel model, int batch, int threads)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _session = new InferenceSession(OnnxRecurrentModel.Write(model, batch), options);
        Threads = threads;
        var input = Value(KernelTableCommand.RandomInputs(batch * model.InputSize), [1, batch, model.InputSize]);
        bool lstm = model.Cell == CellKind.Lstm;
        int h = model.HiddenSize;
        var sets = new (OrtValue H, OrtValue? C)[2][];
        _state = new float[2][][];
        for (int s = 0; s < 2; s++)
        {
            sets[s] = new (OrtValue, OrtValue?)[model.LayerCount];
            _state[s] = new float[2 * model.LayerCount][];
            for (int k = 0; k < model.LayerCount; k++)
            {
                _state[s][2 * k] = new float[batch * h];
                _state[s][2 * k + 1] = new float[batch * h];
                sets[s][k] = (Value(_state[s][2 * k], [1, batch, h]), lstm ? Value(_state[s][2 * k + 1], [1, batch, h]) : null);
            }
        }

        for (int s = 0; s < 2; s++)
        {
            var binding = _bindings[s] = _session.CreateIoBinding();
            binding.BindInput("X", input);
            for (int k = 0; k < model.LayerCount; k++)
            {
                binding.BindInput(OnnxRecurrentModel.HiddenIn(k), sets[s][k].H);
                binding.BindOutput(OnnxRecurrentModel.HiddenOut(k), sets[1 - s][k].H);
                if (lstm)
                {
                    binding.BindInput(OnnxRecurrentModel.CellIn(k), sets[s][k].C!);
                    binding.BindOutput(OnnxRecurrentModel.CellOut(k), sets[1 - s][k].C!);
                }
            }
        }
    }

    public string Name => "onnxruntime";

    public int Threads { get; }

    public void Step()
    {
        _session.RunWithBinding(_run, _bindings[_turn]);
        _turn ^= 1;
    }

    /// <summary>The current h of <paramref name="layer"/>, [B, H] (what the next call reads).</summary>
    public ReadOnlySpan<float> Hidden(int layer) => _state[_turn][2 * layer];

    /// <summary>The current c of <paramref name="layer"/>, [B, H] (LSTM).</summary>
    public ReadOnlySpan<float> Cell(int layer) => _state[_turn][2 * layer + 1];

    private OrtValue Value(float[] data, long[] shape)
    {
        var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        _values.Add(value);
        return value;
    }

    public void Dispose()
    {
        foreach (var binding in _bindings) binding?.Dispose();
        foreach (var value in _values) value.Dispose();
        _run.Dispose();
        _session.Dispose();
    }
}
