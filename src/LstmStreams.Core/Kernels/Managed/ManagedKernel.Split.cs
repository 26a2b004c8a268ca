using System.Runtime.CompilerServices;

namespace LstmStreams.Core.Kernels.Managed;

/// <summary>
/// How a step is shared by the caller and the worker. Both claim items of a phase from a
/// <see cref="WorkBoard"/>, the caller from the front and the worker from the back, so nobody waits for a late
/// or descheduled worker: the caller just takes more. Rows: about 16 chunks of whole tiles, each going through
/// every layer and the head on its own (nothing synchronises inside the step). Blocks, for a few rows of a
/// large model: layer by layer, the caller gathers the panel, then both take column blocks over all rows, each
/// streaming half the weights from its own L2 (H=256, B=1: 2.1× one thread; at B ≥ 64 rows are 4–12% faster).
/// </summary>
public sealed unsafe partial class ManagedKernel
{
    private const long ParallelFlops = 1_000_000; // below this a step is too short to be worth a handoff (measured)
    private const long BlockFlops = 400_000; // per layer: below this one layer is too short to split by blocks

    /// <summary>Threads a step of <paramref name="batch"/> sequences runs on: small steps stay on the caller.</summary>
    public int ThreadsFor(int batch) => SplitsRows(batch) || SplitsBlocks(batch) ? 2 : 1;

    /// <summary>Chunks of rows on both threads: a step of more than one chunk and 1 MFLOP.</summary>
    private bool SplitsRows(int batch) => _worker is not null && Split switch
    {
        ThreadSplit.Rows => batch >= 2,
        ThreadSplit.Blocks => false,
        _ => batch > ChunkRows(batch) && _flopsPerRow * batch >= ParallelFlops,
    };

    /// <summary>Column blocks on both threads, layer by layer: a few rows of a large model (each core then
    /// streams half the weights, from its own L2).</summary>
    private bool SplitsBlocks(int batch) => _worker is not null && _projections is null && Split switch
    {
        ThreadSplit.Blocks => true,
        ThreadSplit.Rows => false,
        _ => !SplitsRows(batch) && _minBlocks >= 4 && _flopsPerRow * batch >= BlockFlops * _layers.Length,
    };

    /// <summary>Rows per chunk of a two-thread step: about 16 chunks of whole tiles, at least one tile.</summary>
    private int ChunkRows(int batch)
    {
        int tile = RowsPerTile;
        return Math.Max(tile, ((batch + 15) / 16 + tile - 1) / tile * tile);
    }

    /// <summary>Tests force one way of splitting a step over two threads, however small; Auto chooses by size.</summary>
    internal ThreadSplit Split { get; set; }

    private int RowsPerTile => _simd switch
    {
        SimdLevel.Avx512 => Tiles512.Rows,
        SimdLevel.Avx2 => Tiles256.Rows,
        _ => 1,
    };

    /// <summary>Publishes a phase, runs its items from the front and returns when every item is finished.</summary>
    private void RunPhase(int kind, int layer, int items)
    {
        _board.Publish(kind, layer, items);
        _worker!.Wake();
        while (_board.TakeFront(out _, out _, out int item))
        {
            try
            {
                RunItem(kind, layer, item, 0);
            }
            finally
            {
                _board.Finish();
            }
        }

        _board.WaitFinished(items);
    }

    /// <summary>The worker's loop body: claims one item from the back and runs it.</summary>
    private bool TryHelp()
    {
        if (!_board.TakeBack(out int kind, out int layer, out int item)) return false;
        try
        {
            RunItem(kind, layer, item, 1);
        }
        finally
        {
            _board.Finish();
        }

        return true;
    }

    [SkipLocalsInit]
    private void RunItem(int kind, int layer, int item, int thread)
    {
        if (kind == WorkBoard.Rows)
        {
            int first = item * _jobChunk;
            RunRows(first, Math.Min(_jobBatch, first + _jobChunk), _jobInputs, _jobOutputs, _panelPointers[thread]);
            return;
        }

        float* buffer = stackalloc float[6 * 64 + 16];
        RunLayerBlock(layer, item, _panelPointers[0], 0, _jobBatch, (float*)(((nint)buffer + 63) & ~(nint)63));
    }
}

/// <summary>How a step is split over two threads (see <see cref="ManagedKernel"/>).</summary>
internal enum ThreadSplit
{
    /// <summary>By size: rows for batches of more than one chunk and 1 MFLOP, blocks for a few rows of a large model, else one thread.</summary>
    Auto,

    /// <summary>Chunks of rows from a batch of 2 (tests).</summary>
    Rows,

    /// <summary>Column blocks layer by layer, from a batch of 1 (tests).</summary>
    Blocks,
}
