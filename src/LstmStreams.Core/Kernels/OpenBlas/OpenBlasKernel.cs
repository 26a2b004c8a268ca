using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LstmStreams.Core.Kernels.Managed;
using LstmStreams.Core.Model;

namespace LstmStreams.Core.Kernels.OpenBlas;

/// <summary>
/// The step on the system's OpenBLAS: per layer, the rows [x_t ; h_{t-1}] are gathered into A [B, K], one
/// <c>cblas_sgemm</c> computes the gate sums A · Vᵀ [B, G'·H] with V the fused weights [G'·H, K] (LSTM i, f,
/// g, o; GRU r_x, z_x, n_x, n_h, r_h, z_h: the x and h parts of r and z are summed apart and added afterwards,
/// as PyTorch does, which keeps saturating inputs within 1e-5 of it), then the managed vector epilogue applies
/// the gates and writes the new state. Not fused: the sums make a round trip through memory. Optional: it needs
/// libopenblas.so.0 (see <see cref="OpenBlasLibrary"/>), found at start, never required.
/// </summary>
public sealed unsafe class OpenBlasKernel : IStepKernel
{
    private readonly float[][] _weights;
    private readonly float[][] _biases;
    private readonly float* _panel;
    private readonly float* _sums;
    private readonly float[] _panelArray;
    private readonly float[] _sumsArray;
    private readonly int _units;
    private readonly SimdLevel _simd;
    private readonly int _groups;

    /// <summary>Packs <paramref name="model"/> for OpenBLAS; throws with the install hint when it is missing.</summary>
    /// <param name="model">The model.</param>
    /// <param name="maxBatchSize">Largest batch.</param>
    /// <param name="threads">OpenBLAS threads (0: min(2, cores)); a process-wide OpenBLAS setting.</param>
    /// <exception cref="ArgumentException">A projected LSTM (proj_size &gt; 0): <see cref="StepKernels.Create"/> runs
    /// those on the managed kernel.</exception>
    public OpenBlasKernel(RecurrentModel model, int maxBatchSize, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.HasProjection)
            throw new ArgumentException($"the OpenBLAS kernel does not run LSTM projections (proj_size={model.ProjectionSize}); use the managed kernel.", nameof(model));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        OpenBlasLibrary.Require();
        Model = model;
        MaxBatchSize = maxBatchSize;
        Threads = threads == 0 ? Math.Min(2, Environment.ProcessorCount) : threads;
        _simd = SimdSupport.Resolve(SimdLevel.Auto);
        _units = SimdSupport.UnitsPerBlock(_simd);
        int hidden = model.HiddenSize, widest = 0;
        _groups = model.Cell == CellKind.Lstm ? 4 : 6;
        _weights = new float[model.LayerCount][];
        _biases = new float[model.LayerCount][];
        for (int l = 0; l < model.LayerCount; l++)
        {
            var layer = model.Layers[l];
            int k = layer.InputSize + hidden, blocks = (hidden + _units - 1) / _units;
            widest = Math.Max(widest, k);
            var weights = _weights[l] = new float[_groups * hidden * k];
            var bias = _biases[l] = new float[blocks * 4 * _units]; // [blocks, 4, U], as the epilogue reads it
            for (int g = 0; g < _groups; g++)
                for (int j = 0; j < hidden; j++)
                {
                    for (int c = 0; c < k; c++)
                    {
                        // GRU groups 0, 1 keep the x rows of r, z and groups 4, 5 their h rows.
                        bool keep = model.Cell == CellKind.Lstm || g is 2 or 3 || (g < 2 ? c < layer.InputSize : c >= layer.InputSize);
                        weights[(g * hidden + j) * k + c] = keep ? PackedLayer.FusedWeight(layer, g % 4, j, c) : 0f;
                    }

                    if (g < 4) bias[((j / _units) * 4 + g) * _units + j % _units] = PackedLayer.FusedBias(layer, g, j);
                }
        }

        _panelArray = GC.AllocateUninitializedArray<float>(maxBatchSize * widest, pinned: true);
        _sumsArray = GC.AllocateUninitializedArray<float>(maxBatchSize * _groups * hidden, pinned: true);
        _panel = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_panelArray));
        _sums = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_sumsArray));
        OpenBlasLibrary.SetThreads(Threads);
    }

    /// <summary>Whether libopenblas.so.0 was found on this machine.</summary>
    public static bool IsAvailable => OpenBlasLibrary.IsAvailable;

    /// <inheritdoc />
    public RecurrentModel Model { get; }

    /// <inheritdoc />
    public int MaxBatchSize { get; }

    /// <summary>OpenBLAS threads.</summary>
    public int Threads { get; }

    /// <inheritdoc />
    public string Name => "openblas";

    /// <inheritdoc />
    [SkipLocalsInit]
    public void Step(ReadOnlySpan<float> inputs, ReadOnlySpan<float[]> states, Span<float> outputs)
    {
        StepArguments.Check(Model, MaxBatchSize, inputs, states, outputs);
        int batch = states.Length;
        if (batch == 0) return;
        var model = Model;
        int hidden = model.HiddenSize, width = _groups * hidden, blocks = (hidden + _units - 1) / _units;
        float* block = stackalloc float[4 * 16];
        for (int l = 0; l < model.LayerCount; l++)
        {
            var layer = model.Layers[l];
            int k = layer.InputSize + hidden;
            int hOffset = model.HiddenOffset(l), inOffset = l == 0 ? 0 : model.HiddenOffset(l - 1);
            int cOffset = model.Cell == CellKind.Lstm ? model.CellOffset(l) : 0;
            for (int r = 0; r < batch; r++)
            {
                var into = new Span<float>(_panel + r * k, k);
                if (l == 0) inputs.Slice(r * layer.InputSize, layer.InputSize).CopyTo(into);
                else states[r].AsSpan(inOffset, layer.InputSize).CopyTo(into);
                states[r].AsSpan(hOffset, hidden).CopyTo(into[layer.InputSize..]);
            }

            fixed (float* weights = _weights[l])
            fixed (float* bias = _biases[l])
            {
                OpenBlasLibrary.MultiplyByTransposed(_panel, weights, _sums, batch, width, k);
                for (int b = 0; b < blocks; b++)
                {
                    int first = b * _units, valid = Math.Min(_units, hidden - first);
                    var epilogue = new Epilogue(model.Cell, hOffset, cOffset, bias + b * 4 * _units, first, valid);
                    for (int r = 0; r < batch; r++)
                    {
                        float* row = _sums + r * width;
                        for (int g = 0; g < 4; g++)
                            for (int u = 0; u < _units; u++)
                                block[g * _units + u] = u >= valid ? 0f
                                    : _groups == 6 && g < 2 ? row[(g + 4) * hidden + first + u] + row[g * hidden + first + u]
                                    : row[g * hidden + first + u];
                        if (_simd == SimdLevel.Avx512) epilogue.Apply512(block, states[r]);
                        else if (_simd == SimdLevel.Avx2) epilogue.Apply256(block, states[r]);
                        else ApplyScalar(epilogue, block, states[r]);
                    }
                }
            }
        }

        for (int r = 0; r < batch; r++) HeadOutputs.WriteRow(model, states[r], outputs.Slice(r * model.OutputSize, model.OutputSize));
    }

    private void ApplyScalar(in Epilogue epilogue, float* block, float[] state)
    {
        for (int i = 0; i < 4 * _units; i++) block[i] += epilogue.Bias[i];
        epilogue.ApplyScalar(block, _units, state);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
