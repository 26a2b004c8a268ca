using System.Diagnostics;
using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;
using LstmStreams.Pipeline;
using LstmStreams.Sequences;

namespace LstmStreams.Compute;

/// <summary>
/// Forms batches from waiting step requests and runs them through the kernel. A batch takes waiting
/// requests in arrival order, skipping a request whose sequence is already in the batch: that request
/// and every later one of its sequence stay waiting, so each sequence's steps run in order, one per batch.
/// Runs on the compute stage's thread only.
/// </summary>
internal sealed class BatchFormer
{
    private readonly RecurrentModel _model;
    private readonly int _maxBatch;
    private readonly List<StepRequest> _waiting = new();
    private readonly StepRequest[] _batch;
    private readonly float[][] _states;
    private readonly float[] _inputs;
    private readonly float[] _outputs;
    private long _stamp;

    public BatchFormer(RecurrentModel model, int maxBatch)
    {
        _model = model;
        _maxBatch = maxBatch;
        _batch = new StepRequest[maxBatch];
        _states = new float[maxBatch][];
        _inputs = new float[maxBatch * model.InputSize];
        _outputs = new float[maxBatch * model.OutputSize];
    }

    /// <summary>Requests received and not yet stepped.</summary>
    public int WaitingCount => _waiting.Count;

    /// <summary>Adds a request behind everything waiting (arrival order is each sequence's order).</summary>
    public void Add(in StepRequest request) => _waiting.Add(request);

    /// <summary>When the observation behind prediction <paramref name="index"/> of the last batch was admitted.</summary>
    public long AdmittedTicksOf(int index) => _batch[index].Observation.AdmittedTicks;

    /// <summary>The request behind prediction <paramref name="index"/> of the last batch.</summary>
    public ref readonly StepRequest RequestOf(int index) => ref _batch[index];

    /// <summary>
    /// Takes one batch from the waiting requests, steps it, and returns one prediction per request in the
    /// batch's order (null when nothing waits).
    /// </summary>
    public Prediction[]? Step(IStepKernel kernel)
    {
        int size = Take();
        if (size == 0) return null;
        var predictions = new Prediction[size];
        int m = _model.InputSize, o = _model.OutputSize;
        for (int b = 0; b < size; b++)
        {
            ref readonly var request = ref _batch[b];
            var values = request.State.Values;
            if (request.Observation.Reset) Array.Clear(values);
            _states[b] = values;
            request.Observation.Features.AsSpan(0, m).CopyTo(_inputs.AsSpan(b * m, m));
        }

        kernel.Step(_inputs.AsSpan(0, size * m), _states.AsSpan(0, size), _outputs.AsSpan(0, size * o));

        for (int b = 0; b < size; b++)
        {
            ref readonly var request = ref _batch[b];
            predictions[b] = new Prediction(request.State.SequenceId, request.T, _outputs.AsSpan(b * o, o).ToArray(), request.Observation.Position);
            if (request.Observation.End) Array.Clear(request.State.Values);
            request.State.Applied(request.Observation);
            _states[b] = null!;
        }

        return predictions;
    }

    private int Take()
    {
        long stamp = ++_stamp;
        var waiting = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_waiting);
        int size = 0, kept = 0, i = 0;
        for (; i < waiting.Length && size < _maxBatch; i++)
        {
            var request = waiting[i];
            if (request.State.BatchStamp != stamp)
            {
                request.State.BatchStamp = stamp; // this sequence is in the batch: its later steps wait
                _batch[size++] = request;
            }
            else
            {
                waiting[kept++] = request;
            }
        }

        // Close the gaps: skipped requests [0, kept) then the untouched tail [i, end), in order.
        int tail = waiting.Length - i;
        if (kept != i) waiting.Slice(i, tail).CopyTo(waiting[kept..]);
        _waiting.RemoveRange(kept + tail, waiting.Length - kept - tail);
        Debug.Assert(_waiting.Count + size == waiting.Length);
        return size;
    }
}
