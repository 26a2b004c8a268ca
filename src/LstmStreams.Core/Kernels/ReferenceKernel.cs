using LstmStreams.Core.Model;
using MathNet.Numerics.LinearAlgebra;

namespace LstmStreams.Core.Kernels;

/// <summary>
/// The readable oracle, written on MathNet.Numerics: per layer, gather [x_t ; h_{t-1}] of every sequence
/// into one matrix X [B, in+H], multiply once by Vᵀ where V = [W_ih | W_hh] is [G*H, in+H], then apply
/// the gate non-linearities and scatter the new state; the head is one multiply per Linear layer for the
/// whole batch. With a projection (proj_size=P) the LSTM's o ⊙ tanh(c) rows [B, H] are multiplied once more,
/// by W_hrᵀ [H, P], to give h [B, P]. Fast kernels are tested against this one.
/// </summary>
/// <remarks>
/// MathNet matrices have a fixed size, so workspaces are kept per power-of-two batch bucket (at most
/// log2(MaxBatchSize)+1 of them, each made on first use); a batch of B runs in the bucket ≥ B and the
/// spare rows are ignored.
/// </remarks>
public sealed class ReferenceKernel : IStepKernel
{
    private readonly LayerWeights[] _layers;
    private readonly Matrix<float>[] _headWeightsT = [];
    private readonly Dictionary<int, Workspace> _workspaces = new();

    /// <summary>Packs the model's weights as MathNet matrices.</summary>
    public ReferenceKernel(RecurrentModel model, int maxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        Model = model;
        MaxBatchSize = maxBatchSize;
        _layers = new LayerWeights[model.LayerCount];
        for (int k = 0; k < model.LayerCount; k++)
            _layers[k] = new LayerWeights(model.Layers[k]);
        if (model.Head is { } head)
        {
            _headWeightsT = new Matrix<float>[head.Layers.Count];
            for (int l = 0; l < head.Layers.Count; l++)
            {
                var layer = head.Layers[l];
                _headWeightsT[l] = Matrix<float>.Build.Dense(layer.OutputSize, layer.InputSize, (r, c) => layer.Weight[r * layer.InputSize + c]).Transpose();
            }
        }
    }

    /// <inheritdoc />
    public RecurrentModel Model { get; }

    /// <inheritdoc />
    public int MaxBatchSize { get; }

    /// <inheritdoc />
    public string Name => "reference";

    /// <inheritdoc />
    public void Step(ReadOnlySpan<float> inputs, ReadOnlySpan<float[]> states, Span<float> outputs)
    {
        StepArguments.Check(Model, MaxBatchSize, inputs, states, outputs);
        int batch = states.Length;
        if (batch == 0) return;
        var work = WorkspaceFor(batch);
        int real = Model.RealHiddenSize;

        for (int k = 0; k < _layers.Length; k++)
        {
            var layer = _layers[k];
            int hOffset = Model.HiddenOffset(k);
            int inOffset = k == 0 ? 0 : Model.HiddenOffset(k - 1);
            var x = work.Concatenated[k];

            // Gather: row b of X is [x_t ; h_{t-1}] (layer k > 0 reads layer k-1's new h, already in the state).
            for (int b = 0; b < batch; b++)
            {
                var state = states[b];
                for (int j = 0; j < layer.InputSize; j++)
                    x.At(b, j, k == 0 ? inputs[b * layer.InputSize + j] : state[inOffset + j]);
                for (int j = 0; j < real; j++)
                    x.At(b, layer.InputSize + j, state[hOffset + j]);
            }

            if (Model.Cell == CellKind.Lstm)
                StepLstm(layer, x, work, k, states, batch, hOffset, Model.CellOffset(k), Model.HiddenSize);
            else
                StepGru(layer, x, work, k, states, batch, hOffset, Model.HiddenSize);
        }

        WriteOutputs(work, states, batch, outputs);
    }

    private static void StepLstm(LayerWeights layer, Matrix<float> x, Workspace work, int k, ReadOnlySpan<float[]> states, int batch, int hOffset, int cOffset, int hidden)
    {
        var gates = work.Gates[k];
        x.Multiply(layer.FusedT, gates); // gates = [x;h] · Vᵀ, one multiply for all four gates
        var projected = layer.WeightHrT is null ? null : work.Unprojected[k]!;
        for (int b = 0; b < batch; b++)
        {
            var state = states[b];
            for (int j = 0; j < hidden; j++)
            {
                float i = Activations.Sigmoid(gates.At(b, j) + layer.Bias[j]);
                float f = Activations.Sigmoid(gates.At(b, hidden + j) + layer.Bias[hidden + j]);
                float g = Activations.Tanh(gates.At(b, 2 * hidden + j) + layer.Bias[2 * hidden + j]);
                float o = Activations.Sigmoid(gates.At(b, 3 * hidden + j) + layer.Bias[3 * hidden + j]);
                float c = f * state[cOffset + j] + i * g;
                state[cOffset + j] = c;
                if (projected is null) state[hOffset + j] = o * Activations.Tanh(c);
                else projected.At(b, j, o * Activations.Tanh(c)); // projected below
            }
        }

        if (projected is not null) Project(projected, layer.WeightHrT!, work.Projected[k]!, states, batch, hOffset);
    }

    /// <summary>h = (o ⊙ tanh c) · W_hrᵀ for the whole batch, [B, H] × [H, P], into each state's P-wide h.</summary>
    private static void Project(Matrix<float> unprojected, Matrix<float> weightHrT, Matrix<float> projected, ReadOnlySpan<float[]> states, int batch, int hOffset)
    {
        unprojected.Multiply(weightHrT, projected);
        int width = projected.ColumnCount;
        for (int b = 0; b < batch; b++)
        {
            var state = states[b];
            for (int p = 0; p < width; p++)
                state[hOffset + p] = projected.At(b, p);
        }
    }

    private static void StepGru(LayerWeights layer, Matrix<float> x, Workspace work, int k, ReadOnlySpan<float[]> states, int batch, int hOffset, int hidden)
    {
        // GRU needs W_hn·h + b_hn on its own (it is scaled by r), so the input and hidden parts are two products.
        var gi = work.Gates[k];
        var gh = work.HiddenGates[k]!;
        x.SubMatrix(0, x.RowCount, 0, layer.InputSize).Multiply(layer.WeightIhT, gi);
        x.SubMatrix(0, x.RowCount, layer.InputSize, hidden).Multiply(layer.WeightHhT, gh);
        for (int b = 0; b < batch; b++)
        {
            var state = states[b];
            for (int j = 0; j < hidden; j++)
            {
                float r = Activations.Sigmoid(gi.At(b, j) + layer.BiasIh[j] + gh.At(b, j) + layer.BiasHh[j]);
                float z = Activations.Sigmoid(gi.At(b, hidden + j) + layer.BiasIh[hidden + j] + gh.At(b, hidden + j) + layer.BiasHh[hidden + j]);
                float n = Activations.Tanh(gi.At(b, 2 * hidden + j) + layer.BiasIh[2 * hidden + j]
                    + r * (gh.At(b, 2 * hidden + j) + layer.BiasHh[2 * hidden + j]));
                state[hOffset + j] = (1f - z) * n + z * state[hOffset + j];
            }
        }
    }

    private void WriteOutputs(Workspace work, ReadOnlySpan<float[]> states, int batch, Span<float> outputs)
    {
        int hidden = Model.RealHiddenSize;
        int top = Model.HiddenOffset(Model.LayerCount - 1);
        int width = Model.OutputSize;
        if (Model.Head is not { } head)
        {
            for (int b = 0; b < batch; b++)
                states[b].AsSpan(top, hidden).CopyTo(outputs.Slice(b * width, width));
            return;
        }

        // Layer l reads HeadRows[l] [rows, In_l] and writes HeadRows[l+1] [rows, Out_l]: one multiply per layer
        // for the whole batch, then its bias and activation row by row.
        var headIn = work.HeadRows[0];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < hidden; j++)
                headIn.At(b, j, states[b][top + j]);
        float[] row = work.HeadRow;
        for (int l = 0; l < head.Layers.Count; l++)
        {
            var layer = head.Layers[l];
            var x = work.HeadRows[l];
            var y = work.HeadRows[l + 1];
            x.Multiply(_headWeightsT[l], y);
            var values = row.AsSpan(0, layer.OutputSize);
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < values.Length; o++)
                    values[o] = y.At(b, o) + (layer.Bias?[o] ?? 0f);
                Activations.Apply(layer.Activation, values);
                if (l == head.Layers.Count - 1)
                    values.CopyTo(outputs.Slice(b * width, width));
                else
                    for (int o = 0; o < values.Length; o++) y.At(b, o, values[o]);
            }
        }
    }

    private Workspace WorkspaceFor(int batch)
    {
        int rows = Math.Min((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)batch), MaxBatchSize);
        if (rows < batch) rows = MaxBatchSize;
        if (!_workspaces.TryGetValue(rows, out var work))
        {
            work = new Workspace(Model, rows);
            _workspaces.Add(rows, work);
        }

        return work;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class LayerWeights
    {
        public LayerWeights(RecurrentLayer layer)
        {
            InputSize = layer.InputSize;
            int rows = layer.GateRows, hidden = layer.RealHiddenSize;
            var weightIh = Matrix<float>.Build.Dense(rows, InputSize, (r, c) => layer.WeightIh[r * InputSize + c]);
            var weightHh = Matrix<float>.Build.Dense(rows, hidden, (r, c) => layer.WeightHh[r * hidden + c]);
            WeightIhT = weightIh.Transpose();
            WeightHhT = weightHh.Transpose();
            FusedT = weightIh.Append(weightHh).Transpose(); // Vᵀ, V = [W_ih | W_hh]
            BiasIh = layer.BiasIh ?? new float[rows];
            BiasHh = layer.BiasHh ?? new float[rows];
            Bias = new float[rows];
            for (int r = 0; r < rows; r++) Bias[r] = BiasIh[r] + BiasHh[r];
            if (layer.WeightHr is { } weightHr)
                WeightHrT = Matrix<float>.Build.Dense(layer.ProjectionSize, layer.HiddenSize, (r, c) => weightHr[r * layer.HiddenSize + c]).Transpose();
        }

        public int InputSize { get; }
        public Matrix<float> WeightIhT { get; }
        public Matrix<float> WeightHhT { get; }
        public Matrix<float> FusedT { get; }
        public Matrix<float>? WeightHrT { get; }
        public float[] BiasIh { get; }
        public float[] BiasHh { get; }
        public float[] Bias { get; }
    }

    private sealed class Workspace
    {
        public Workspace(RecurrentModel model, int rows)
        {
            int layers = model.LayerCount, hidden = model.RealHiddenSize;
            int gateRows = model.Cell.GateCount() * model.HiddenSize;
            Concatenated = new Matrix<float>[layers];
            Gates = new Matrix<float>[layers];
            HiddenGates = new Matrix<float>?[layers];
            Unprojected = new Matrix<float>?[layers];
            Projected = new Matrix<float>?[layers];
            for (int k = 0; k < layers; k++)
            {
                Concatenated[k] = Matrix<float>.Build.Dense(rows, model.Layers[k].InputSize + hidden);
                Gates[k] = Matrix<float>.Build.Dense(rows, gateRows);
                if (model.Cell == CellKind.Gru) HiddenGates[k] = Matrix<float>.Build.Dense(rows, gateRows);
                if (model.HasProjection)
                {
                    Unprojected[k] = Matrix<float>.Build.Dense(rows, model.HiddenSize);
                    Projected[k] = Matrix<float>.Build.Dense(rows, model.ProjectionSize);
                }
            }

            if (model.Head is { } head)
            {
                HeadRows = new Matrix<float>[head.Layers.Count + 1];
                HeadRows[0] = Matrix<float>.Build.Dense(rows, hidden);
                int widest = hidden;
                for (int l = 0; l < head.Layers.Count; l++)
                {
                    HeadRows[l + 1] = Matrix<float>.Build.Dense(rows, head.Layers[l].OutputSize);
                    widest = Math.Max(widest, head.Layers[l].OutputSize);
                }

                HeadRow = new float[widest];
            }
        }

        public Matrix<float>[] Concatenated { get; }
        public Matrix<float>[] Gates { get; }
        public Matrix<float>?[] HiddenGates { get; }
        public Matrix<float>?[] Unprojected { get; }
        public Matrix<float>?[] Projected { get; }
        public Matrix<float>[] HeadRows { get; } = [];
        public float[] HeadRow { get; } = [];
    }
}
