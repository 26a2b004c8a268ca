using System.Runtime.InteropServices;
using LstmStreams.Core.Model;

namespace LstmStreams.Cli.Bench.Onnx;

/// <summary>
/// Writes our model's layers as an ONNX graph (opset 14) of LSTM or GRU ops, one per layer, so that ONNX
/// Runtime steps exactly our weights. The head is left out: the benchmark compares the recurrent step.
/// </summary>
/// <remarks>
/// Graph inputs: <c>X</c> [1, B, M] and per layer k <c>h0_k</c> (and <c>c0_k</c> for LSTM) [1, B, H];
/// outputs <c>hN_k</c> (and <c>cN_k</c>) [1, B, H], so the caller can feed the state back each call.
/// Gate order: ONNX LSTM is i, o, f, c where PyTorch is i, f, g, o; ONNX GRU is z, r, h where PyTorch is
/// r, z, n, with linear_before_reset = 1 (PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))).
/// </remarks>
internal static class OnnxRecurrentModel
{
    private const int FloatType = 1, Int64Type = 7, IntAttribute = 2;
    private static readonly int[] LstmOrder = [0, 3, 1, 2];
    private static readonly int[] GruOrder = [1, 0, 2];

    public static string HiddenIn(int layer) => $"h0_{layer}";
    public static string CellIn(int layer) => $"c0_{layer}";
    public static string HiddenOut(int layer) => $"hN_{layer}";
    public static string CellOut(int layer) => $"cN_{layer}";

    public static byte[] Write(RecurrentModel model, int batch)
    {
        var root = new ProtobufWriter();
        root.Varint(1, 8); // ir_version
        root.String(2, "lstm-streams");
        root.Message(7, graph => WriteGraph(graph, model, batch));
        root.Message(8, opset =>
        {
            opset.String(1, "");
            opset.Varint(2, 14);
        });
        return root.ToArray();
    }

    private static void WriteGraph(ProtobufWriter graph, RecurrentModel model, int batch)
    {
        bool lstm = model.Cell == CellKind.Lstm;
        int hidden = model.HiddenSize;
        var order = lstm ? LstmOrder : GruOrder;
        if (model.LayerCount > 1) graph.Message(5, t => Int64Tensor(t, "axes_1", [1]));
        string input = "X";
        for (int k = 0; k < model.LayerCount; k++)
        {
            var layer = model.Layers[k];
            string y = k + 1 < model.LayerCount ? $"Y_{k}" : "";
            graph.Message(5, t => FloatTensor(t, $"W_{k}", [1, layer.GateRows, layer.InputSize], Reorder(layer.WeightIh, order, hidden, layer.InputSize)));
            graph.Message(5, t => FloatTensor(t, $"R_{k}", [1, layer.GateRows, hidden], Reorder(layer.WeightHh, order, hidden, hidden)));
            var bias = new float[2 * layer.GateRows];
            Reorder(layer.BiasIh ?? new float[layer.GateRows], order, hidden, 1).CopyTo(bias, 0);
            Reorder(layer.BiasHh ?? new float[layer.GateRows], order, hidden, 1).CopyTo(bias, layer.GateRows);
            graph.Message(5, t => FloatTensor(t, $"B_{k}", [1, 2 * layer.GateRows], bias));
            string x = input;
            graph.Message(1, node =>
            {
                foreach (string name in lstm ? [x, $"W_{k}", $"R_{k}", $"B_{k}", "", HiddenIn(k), CellIn(k)] : new[] { x, $"W_{k}", $"R_{k}", $"B_{k}", "", HiddenIn(k) })
                    node.String(1, name);
                node.String(2, y);
                node.String(2, HiddenOut(k));
                if (lstm) node.String(2, CellOut(k));
                node.String(3, $"layer_{k}");
                node.String(4, lstm ? "LSTM" : "GRU");
                node.Message(5, a => IntAttributeOf(a, "hidden_size", hidden));
                if (!lstm) node.Message(5, a => IntAttributeOf(a, "linear_before_reset", 1));
            });
            if (y.Length > 0)
            {
                input = $"X_{k + 1}";
                string next = input;
                graph.Message(1, node =>
                {
                    node.String(1, y);
                    node.String(1, "axes_1");
                    node.String(2, next);
                    node.String(3, $"squeeze_{k}");
                    node.String(4, "Squeeze");
                });
            }
        }

        graph.String(2, "recurrent-step");
        graph.Message(11, v => ValueInfo(v, "X", [1, batch, model.InputSize]));
        for (int k = 0; k < model.LayerCount; k++)
        {
            int layer = k;
            graph.Message(11, v => ValueInfo(v, HiddenIn(layer), [1, batch, hidden]));
            if (lstm) graph.Message(11, v => ValueInfo(v, CellIn(layer), [1, batch, hidden]));
        }

        for (int k = 0; k < model.LayerCount; k++)
        {
            int layer = k;
            graph.Message(12, v => ValueInfo(v, HiddenOut(layer), [1, batch, hidden]));
            if (lstm) graph.Message(12, v => ValueInfo(v, CellOut(layer), [1, batch, hidden]));
        }
    }

    /// <summary>Reorders the gate blocks ([G·H, width] row-major) from PyTorch's order to ONNX's.</summary>
    private static float[] Reorder(float[] values, int[] order, int hidden, int width)
    {
        var result = new float[values.Length];
        int block = hidden * width;
        for (int g = 0; g < order.Length; g++)
            Array.Copy(values, order[g] * block, result, g * block, block);
        return result;
    }

    private static void FloatTensor(ProtobufWriter tensor, string name, long[] dims, float[] values)
    {
        foreach (long d in dims) tensor.Varint(1, d);
        tensor.Varint(2, FloatType);
        tensor.String(8, name);
        tensor.Bytes(9, MemoryMarshal.AsBytes(values.AsSpan())); // raw_data, little-endian
    }

    private static void Int64Tensor(ProtobufWriter tensor, string name, long[] values)
    {
        tensor.Varint(1, values.Length);
        tensor.Varint(2, Int64Type);
        tensor.String(8, name);
        tensor.Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static void IntAttributeOf(ProtobufWriter attribute, string name, long value)
    {
        attribute.String(1, name);
        attribute.Varint(3, value);
        attribute.Varint(20, IntAttribute);
    }

    private static void ValueInfo(ProtobufWriter info, string name, long[] dims)
    {
        info.String(1, name);
        info.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Varint(1, FloatType);
            tensor.Message(2, shape =>
            {
                foreach (long d in dims) shape.Message(1, dim => dim.Varint(1, d));
            });
        }));
    }
}
