using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// The fast kernel: per layer, the rows [x_t ; h_{t-1}] of the batch are gathered into a packed panel and
/// multiplied by the layer's weights (packed once, see <see cref="PackedLayer"/>) in register tiles that
/// apply the gate non-linearities and the state update before leaving registers. Rows are split between the
/// calling thread and a worker (each half goes through every layer and the head on its own, so one step
/// synchronises once). SIMD: AVX-512, AVX2 or scalar (<see cref="SimdLevel"/>). Allocates nothing per step.
/// </summary>
public sealed unsafe class ManagedKernel : IStepKernel
{
    private const long ParallelFlops = 1_500_000; // below this a step is too short to be worth a handoff
    private readonly SimdLevel _simd;
    private readonly PackedLayer[] _layers;
    private readonly GCHandle[] _pins;
    private readonly float*[] _weights;
    private readonly float*[] _biases;
    private readonly float[][] _rows;
    private readonly float[][] _panels;
    private readonly float*[] _panelPointers;
    private readonly long _flopsPerRow;
    private readonly StepWorker? _worker;
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

        _rows = new float[maxBatchSize][];
        _panels = new float[Threads][];
        _panelPointers = new float*[Threads];
        for (int t = 0; t < Threads; t++)
        {
            _panels[t] = GC.AllocateUninitializedArray<float>(maxBatchSize * widest, pinned: true);
            _panelPointers[t] = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_panels[t]));
        }

        if (Threads > 1) _worker = new StepWorker(RunWorkerShare);
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

    // The job the worker shares while Step waits for it (valid only during Step).
    private float* _jobInputs;
    private float* _jobOutputs;
    private int _jobSplit, _jobEnd;

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
            if (ThreadsFor(batch) == 1)
            {
                RunRows(0, batch, x, y, _panelPointers[0]);
            }
            else
            {
                int split = batch / 2;
                split -= split % RowsPerTile;
                _jobInputs = x;
                _jobOutputs = y;
                _jobSplit = split;
                _jobEnd = batch;
                _worker!.Start();
                RunRows(0, split, x, y, _panelPointers[0]);
                _worker!.Wait();
            }
        }

        Array.Clear(_rows, 0, batch); // do not keep sequences' states alive
    }

    /// <summary>Threads a step of <paramref name="batch"/> sequences runs on: small steps stay on the caller.</summary>
    public int ThreadsFor(int batch) => _worker is null || batch < 8 || _flopsPerRow * batch < ParallelFlops ? 1 : 2;

    private int RowsPerTile => _simd switch
    {
        SimdLevel.Avx512 => Tiles512.Rows,
        SimdLevel.Avx2 => Tiles256.Rows,
        _ => 1,
    };

    private void RunWorkerShare() => RunRows(_jobSplit, _jobEnd, _jobInputs, _jobOutputs, _panelPointers[1]);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private void RunRows(int first, int end, float* inputs, float* outputs, float* panel)
    {
        // One tile's gate sums [rows, 4·U] (6 × 64 at most), 64-byte aligned, in L1 for the epilogue.
        float* buffer = stackalloc float[6 * 64 + 16];
        float* gates = (float*)(((nint)buffer + 63) & ~(nint)63);
        var model = Model;
        int hidden = model.HiddenSize;
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            int k = layer.K, units = layer.U;
            int hOffset = model.HiddenOffset(l);
            int cOffset = model.Cell == CellKind.Lstm ? model.CellOffset(l) : 0;
            int inOffset = l == 0 ? 0 : model.HiddenOffset(l - 1);
            for (int r = first; r < end; r++)
            {
                float* row = panel + (r - first) * k;
                var state = _rows[r];
                var into = new Span<float>(row, k);
                if (l == 0) new ReadOnlySpan<float>(inputs + r * layer.Input, layer.Input).CopyTo(into);
                else state.AsSpan(inOffset, layer.Input).CopyTo(into);
                state.AsSpan(hOffset, hidden).CopyTo(into[layer.Input..]);
            }

            for (int block = 0; block < layer.Blocks; block++)
            {
                var epilogue = new Epilogue(model.Cell, hOffset, cOffset, _biases[l] + block * 4 * units, block * units, Math.Min(units, hidden - block * units));
                float* w = _weights[l] + block * k * 4 * units;
                RunBlock(panel, first, end, k, model.Cell == CellKind.Gru ? layer.Input : 0, w, units, epilogue, gates);
            }
        }

        WriteOutputs(first, end, outputs);
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
                    for (int i = 0; i < Tiles512.Rows; i++) epilogue.Apply512(gates + 64 * i, _rows[r + i]);
                }

                for (; r < end; r++)
                {
                    Tiles512.Run1(panel + (r - first) * k, k, split, w, gates);
                    epilogue.Apply512(gates, _rows[r]);
                }

                break;
            case SimdLevel.Avx2:
                for (; r + Tiles256.Rows <= end; r += Tiles256.Rows)
                {
                    Tiles256.Run3(panel + (r - first) * k, k, split, w, gates);
                    for (int i = 0; i < Tiles256.Rows; i++) epilogue.Apply256(gates + 32 * i, _rows[r + i]);
                }

                for (; r < end; r++)
                {
                    Tiles256.Run1(panel + (r - first) * k, k, split, w, gates);
                    epilogue.Apply256(gates, _rows[r]);
                }

                break;
            default:
                for (; r < end; r++)
                    ScalarTile.Run1(panel + (r - first) * k, k, split, w, units, epilogue, _rows[r]);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteOutputs(int first, int end, float* outputs)
    {
        var model = Model;
        int hidden = model.HiddenSize, width = model.OutputSize;
        int top = model.HiddenOffset(model.LayerCount - 1);
        var head = model.Head;
        for (int r = first; r < end; r++)
        {
            var h = _rows[r].AsSpan(top, hidden);
            var y = new Span<float>(outputs + r * width, width);
            if (head is null)
            {
                h.CopyTo(y);
                continue;
            }

            for (int o = 0; o < width; o++)
            {
                var weights = head.Weight.AsSpan(o * hidden, hidden);
                float sum = head.Bias?[o] ?? 0f;
                for (int j = 0; j < hidden; j++) sum += weights[j] * h[j];
                y[o] = sum;
            }

            Activations.Apply(head.Activation, y);
        }
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
