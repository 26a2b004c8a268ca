using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// The fast kernel: per layer, the rows [x_t ; h_{t-1}] of the batch are gathered into a packed panel and
/// multiplied by the layer's weights (packed once, see <see cref="PackedLayer"/>) in register tiles that
/// apply the gate non-linearities and the state update while the tile is in L1. A large step runs on the
/// calling thread and a worker, split by chunks of rows or, for a few rows of a large model, by column blocks
/// (see ManagedKernel.Split.cs). SIMD: AVX-512, AVX2 or scalar (<see cref="SimdLevel"/>). Allocates nothing
/// per step. A projected LSTM (proj_size=P) runs its epilogue into a per-row scratch [o ⊙ tanh(c) ; c] (2H
/// floats) and then projects it to h [P] (ManagedKernel.Projection.cs); it splits by rows, never by blocks.
/// </summary>
public sealed unsafe partial class ManagedKernel : IStepKernel
{
    private readonly WorkBoard _board = new();
    private readonly SimdLevel _simd;
    private readonly PackedLayer[] _layers;
    private readonly GCHandle[] _pins;
    private readonly float*[] _weights;
    private readonly float*[] _biases;
    private readonly float[][] _rows;
    private readonly float[][] _targets;
    private readonly float[][] _panels;
    private readonly float*[] _panelPointers;
    private readonly long _flopsPerRow;
    private readonly StepWorker? _worker;
    private readonly int _minBlocks;
    private bool _disposed;

    /// <summary>Packs <paramref name="model"/> for batches of up to <paramref name="maxBatchSize"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="maxBatchSize">Largest batch.</param>
    /// <param name="threads">Threads per step (1 or 2; 0 = min(2, cores)).</param>
    /// <param name="simd">Instruction set; Auto picks the widest the CPU has.</param>
    public ManagedKernel(RecurrentModel model, int maxBatchSize, int threads = 0, SimdLevel simd = SimdLevel.Auto)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        Model = model;
        MaxBatchSize = maxBatchSize;
        _simd = SimdSupport.Resolve(simd);
        Threads = threads == 0 ? Math.Min(2, Environment.ProcessorCount) : Math.Min(threads, 2);
        int units = SimdSupport.UnitsPerBlock(_simd);
        _layers = new PackedLayer[model.LayerCount];
        _pins = new GCHandle[2 * model.LayerCount];
        _weights = new float*[model.LayerCount];
        _biases = new float*[model.LayerCount];
        int widest = 0;
        for (int k = 0; k < model.LayerCount; k++)
        {
            var packed = _layers[k] = new PackedLayer(model.Layers[k], units);
            _pins[2 * k] = GCHandle.Alloc(packed.Weights, GCHandleType.Pinned);
            _pins[2 * k + 1] = GCHandle.Alloc(packed.Bias, GCHandleType.Pinned);
            _weights[k] = (float*)_pins[2 * k].AddrOfPinnedObject();
            _biases[k] = (float*)_pins[2 * k + 1].AddrOfPinnedObject();
            widest = Math.Max(widest, packed.K);
            _flopsPerRow += 2L * packed.K * 4 * packed.Blocks * units;
        }

        _minBlocks = _layers.Min(l => l.Blocks);
        _rows = new float[maxBatchSize][];
        _targets = _rows;
        if (model.HasProjection)
        {
            _targets = new float[maxBatchSize][];
            for (int r = 0; r < maxBatchSize; r++) _targets[r] = new float[2 * model.HiddenSize];
            _projections = new float[model.LayerCount][];
            for (int k = 0; k < model.LayerCount; k++)
            {
                _projections[k] = Transposed(model.Layers[k].WeightHr!, model.ProjectionSize, model.HiddenSize);
                _flopsPerRow += 2L * model.ProjectionSize * model.HiddenSize;
            }
        }

        _panels = new float[Threads][];
        _panelPointers = new float*[Threads];
        for (int t = 0; t < Threads; t++)
        {
            _panels[t] = GC.AllocateUninitializedArray<float>(maxBatchSize * widest, pinned: true);
            _panelPointers[t] = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_panels[t]));
        }

        if (Threads > 1) _worker = new StepWorker(_board, TryHelp);
    }

    /// <inheritdoc />
    public RecurrentModel Model { get; }

    /// <inheritdoc />
    public int MaxBatchSize { get; }

    /// <summary>Threads a large step is split over.</summary>
    public int Threads { get; }

    /// <summary>The instruction set in use.</summary>
    public SimdLevel Simd => _simd;

    /// <inheritdoc />
    public string Name => "managed-" + _simd.ToString().ToLowerInvariant();

    // The step the worker shares (valid only while Step runs; published through the WorkBoard).
    private float* _jobInputs;
    private float* _jobOutputs;
    private int _jobBatch, _jobChunk;

    /// <inheritdoc />
    public void Step(ReadOnlySpan<float> inputs, ReadOnlySpan<float[]> states, Span<float> outputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StepArguments.Check(Model, MaxBatchSize, inputs, states, outputs);
        int batch = states.Length;
        if (batch == 0) return;
        states.CopyTo(_rows);
        fixed (float* x = inputs)
        fixed (float* y = outputs)
        {
            _jobInputs = x;
            _jobOutputs = y;
            _jobBatch = batch;
            if (SplitsRows(batch))
            {
                _jobChunk = ChunkRows(batch);
                RunPhase(WorkBoard.Rows, 0, (batch + _jobChunk - 1) / _jobChunk);
                _worker!.ThrowIfFailed();
            }
            else if (SplitsBlocks(batch))
            {
                for (int l = 0; l < _layers.Length; l++)
                {
                    Gather(l, 0, batch, x, _panelPointers[0]); // all of h_{t-1} before any block writes h_t
                    RunPhase(WorkBoard.Blocks, l, _layers[l].Blocks);
                }

                WriteOutputs(0, batch, y);
                _worker!.ThrowIfFailed();
            }
            else
            {
                RunRows(0, batch, x, y, _panelPointers[0]);
            }
        }

        Array.Clear(_rows, 0, batch); // do not keep sequences' states alive
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private void RunRows(int first, int end, float* inputs, float* outputs, float* panel)
    {
        // One tile's gate sums [rows, 4·U] (6 × 64 at most), 64-byte aligned, in L1 for the epilogue.
        float* buffer = stackalloc float[6 * 64 + 16];
        float* gates = (float*)(((nint)buffer + 63) & ~(nint)63);
        for (int l = 0; l < _layers.Length; l++)
        {
            Gather(l, first, end, inputs, panel);
            if (_projections is not null) LoadCells(l, first, end);
            for (int block = 0; block < _layers[l].Blocks; block++)
                RunLayerBlock(l, block, panel, first, end, gates);
            if (_projections is not null) Project(l, first, end);
        }

        WriteOutputs(first, end, outputs);
    }

    /// <summary>Copies rows [first, end) of [x_t ; h_{t-1}] for layer <paramref name="l"/> into the panel (row r at r − first).</summary>
    private void Gather(int l, int first, int end, float* inputs, float* panel)
    {
        var layer = _layers[l];
        int k = layer.K, hidden = Model.RealHiddenSize;
        int hOffset = Model.HiddenOffset(l);
        int inOffset = l == 0 ? 0 : Model.HiddenOffset(l - 1);
        for (int r = first; r < end; r++)
        {
            var state = _rows[r];
            var into = new Span<float>(panel + (r - first) * k, k);
            if (l == 0) new ReadOnlySpan<float>(inputs + r * layer.Input, layer.Input).CopyTo(into);
            else state.AsSpan(inOffset, layer.Input).CopyTo(into);
            state.AsSpan(hOffset, hidden).CopyTo(into[layer.Input..]);
        }
    }

    /// <summary>One column block of layer <paramref name="l"/> (U units, all gates) for rows [first, end) of the panel.</summary>
    private void RunLayerBlock(int l, int block, float* panel, int first, int end, float* gates)
    {
        var model = Model;
        var layer = _layers[l];
        int k = layer.K, units = layer.U, hidden = model.HiddenSize;
        int hOffset = model.HiddenOffset(l), cOffset = model.Cell == CellKind.Lstm ? model.CellOffset(l) : 0;
        if (_projections is not null) (hOffset, cOffset) = (0, hidden); // into the row's scratch [o ⊙ tanh(c) ; c]
        var epilogue = new Epilogue(model.Cell, hOffset, cOffset, _biases[l] + block * 4 * units, block * units, Math.Min(units, hidden - block * units));
        RunBlock(panel, first, end, k, model.Cell == CellKind.Gru ? layer.Input : 0, _weights[l] + block * k * 4 * units, units, epilogue, gates);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunBlock(float* panel, int first, int end, int k, int split, float* w, int units, in Epilogue epilogue, float* gates)
    {
        int r = first;
        switch (_simd)
        {
            case SimdLevel.Avx512:
                for (; r + Tiles512.Rows <= end; r += Tiles512.Rows)
                {
                    Tiles512.Run6(panel + (r - first) * k, k, split, w, gates);
                    for (int i = 0; i < Tiles512.Rows; i++) epilogue.Apply512(gates + 64 * i, _targets[r + i]);
                }

                for (; r < end; r++)
                {
                    Tiles512.Run1(panel + (r - first) * k, k, split, w, gates);
                    epilogue.Apply512(gates, _targets[r]);
                }

                break;
            case SimdLevel.Avx2:
                for (; r + Tiles256.Rows <= end; r += Tiles256.Rows)
                {
                    Tiles256.Run3(panel + (r - first) * k, k, split, w, gates);
                    for (int i = 0; i < Tiles256.Rows; i++) epilogue.Apply256(gates + 32 * i, _targets[r + i]);
                }

                for (; r < end; r++)
                {
                    Tiles256.Run1(panel + (r - first) * k, k, split, w, gates);
                    epilogue.Apply256(gates, _targets[r]);
                }

                break;
            default:
                for (; r < end; r++)
                    ScalarTile.Run1(panel + (r - first) * k, k, split, w, units, epilogue, _targets[r]);
                break;
        }
    }

    private void WriteOutputs(int first, int end, float* outputs)
    {
        int width = Model.OutputSize;
        for (int r = first; r < end; r++) HeadOutputs.WriteRow(Model, _rows[r], new Span<float>(outputs + r * width, width));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _worker?.Dispose();
        foreach (var pin in _pins)
            if (pin.IsAllocated) pin.Free();
    }
}
