using System.Runtime.InteropServices;
using LstmStreams.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace LstmStreams.Cli.Bench;

/// <summary>
/// ONNX Runtime's LSTM/GRU operator as a peer in the same run: an ONNX model built from our weights
/// (gates reordered from PyTorch's i,f,g,o / r,z,n to ONNX's i,o,f,c / z,r,h; GRU with
/// linear_before_reset = 1, which is PyTorch's form), seq_len 1, the state fed back each call through
/// preallocated buffers. One recurrent layer; no head.
/// </summary>
internal sealed class OnnxRecurrentPeer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly OrtValue[][] _inputs = new OrtValue[2][];
    private readonly OrtValue[][] _outputs = new OrtValue[2][];
    private readonly float[][] _h = new float[2][];
    private readonly float[][] _c = new float[2][];
    private int _turn;

    public OnnxRecurrentPeer(RecurrentModel model, int batch, int threads)
    {
        if (model.LayerCount != 1) throw new ArgumentException("the ONNX Runtime peer runs one recurrent layer.");
        Batch = batch;
        Threads = threads;
        bool lstm = model.Cell == CellKind.Lstm;
        var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
        _session = new InferenceSession(BuildModel(model, batch), options);
        int m = model.InputSize, h = model.HiddenSize;
        Input = new float[batch * m];
        var x = OrtValue.CreateTensorValueFromMemory(Input, [1, batch, m]);
        for (int i = 0; i < 2; i++)
        {
            _h[i] = new float[batch * h];
            _c[i] = new float[batch * h];
        }

        for (int i = 0; i < 2; i++)
        {
            int next = 1 - i;
            var hIn = OrtValue.CreateTensorValueFromMemory(_h[i], [1, batch, h]);
            var hOut = OrtValue.CreateTensorValueFromMemory(_h[next], [1, batch, h]);
            if (lstm)
            {
                _inputs[i] = [x, hIn, OrtValue.CreateTensorValueFromMemory(_c[i], [1, batch, h])];
                _outputs[i] = [hOut, OrtValue.CreateTensorValueFromMemory(_c[next], [1, batch, h])];
            }
            else
            {
                _inputs[i] = [x, hIn];
                _outputs[i] = [hOut];
            }
        }

        _inputNames = lstm ? ["X", "initial_h", "initial_c"] : ["X", "initial_h"];
        _outputNames = lstm ? ["Y_h", "Y_c"] : ["Y_h"];
    }

    public int Batch { get; }

    public int Threads { get; }

    /// <summary>X for the next step, [batch, M].</summary>
    public float[] Input { get; }

    /// <summary>The hidden state after the last step, [batch, H].</summary>
    public float[] Hidden => _h[_turn];

    /// <summary>One step of every sequence; the new state becomes the next step's initial state.</summary>
    public void Step()
    {
        _session.Run(_run, _inputNames, _inputs[_turn], _outputNames, _outputs[_turn]);
        _turn = 1 - _turn;
    }

    public void Dispose()
    {
        foreach (var set in _inputs.Concat(_outputs))
            foreach (var value in set.Distinct())
                value.Dispose();
        _run.Dispose();
        _session.Dispose();
    }

    private static byte[] BuildModel(RecurrentModel model, int batch)
    {
        var layer = model.Layers[0];
        bool lstm = model.Cell == CellKind.Lstm;
        int h = model.HiddenSize, m = model.InputSize;
        int[] order = lstm ? [0, 3, 1, 2] : [1, 0, 2]; // ONNX block b takes PyTorch block order[b]
        int gates = order.Length;
        float[] Reorder(float[]? source, int width)
        {
            var result = new float[gates * h * width];
            if (source is null) return result;
            for (int b = 0; b < gates; b++)
                Array.Copy(source, order[b] * h * width, result, b * h * width, h * width);
            return result;
        }

        var w = Reorder(layer.WeightIh, m);
        var r = Reorder(layer.WeightHh, h);
        var bias = Reorder(layer.BiasIh, 1).Concat(Reorder(layer.BiasHh, 1)).ToArray();

        static void Tensor(ProtoWriter t, string name, long[] dims, float[] values)
        {
            foreach (long d in dims) t.Int(1, d);
            t.Int(2, 1); // FLOAT
            t.String(8, name);
            t.Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        }

        static void ValueInfo(ProtoWriter v, string name, long[] dims) =>
            v.String(1, name).Message(2, type => type.Message(1, tensor =>
                tensor.Int(1, 1).Message(2, shape =>
                {
                    foreach (long d in dims) shape.Message(1, dim => dim.Int(1, d));
                })));

        var proto = new ProtoWriter()
            .Int(1, 8) // ir_version
            .String(2, "lstm-streams")
            .Message(7, graph =>
            {
                graph.Message(1, node =>
                {
                    foreach (string input in lstm ? new[] { "X", "W", "R", "B", "", "initial_h", "initial_c" } : ["X", "W", "R", "B", "", "initial_h"])
                        node.String(1, input);
                    foreach (string output in lstm ? new[] { "", "Y_h", "Y_c" } : ["", "Y_h"])
                        node.String(2, output);
                    node.String(3, "recurrent").String(4, lstm ? "LSTM" : "GRU");
                    node.Message(5, a => a.String(1, "hidden_size").Int(3, h).Int(20, 2));
                    if (!lstm) node.Message(5, a => a.String(1, "linear_before_reset").Int(3, 1).Int(20, 2));
                });
                graph.String(2, "step");
                graph.Message(5, t => Tensor(t, "W", [1, gates * h, m], w));
                graph.Message(5, t => Tensor(t, "R", [1, gates * h, h], r));
                graph.Message(5, t => Tensor(t, "B", [1, 2 * gates * h], bias));
                graph.Message(11, v => ValueInfo(v, "X", [1, batch, m]));
                graph.Message(11, v => ValueInfo(v, "initial_h", [1, batch, h]));
                if (lstm) graph.Message(11, v => ValueInfo(v, "initial_c", [1, batch, h]));
                graph.Message(12, v => ValueInfo(v, "Y_h", [1, batch, h]));
                if (lstm) graph.Message(12, v => ValueInfo(v, "Y_c", [1, batch, h]));
            })
            .Message(8, opset => opset.String(1, "").Int(2, 14));
        return proto.ToArray();
    }
}
