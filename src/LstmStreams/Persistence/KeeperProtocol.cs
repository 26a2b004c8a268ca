namespace LstmStreams.Persistence;

/// <summary>Sequence actor → keeper: the stored state of a sequence, please (answered with <see cref="SequenceLoaded"/>
/// once the store answers; a failing store is retried, so the answer may take a while, never fails).</summary>
/// <param name="SequenceId">The sequence.</param>
public sealed record LoadSequence(string SequenceId);

/// <summary>Keeper → sequence actor: the stored state (null: none stored).</summary>
/// <param name="SequenceId">The sequence.</param>
/// <param name="Snapshot">Its latest state, including one written but not yet acknowledged by the store.</param>
/// <param name="Unreadable">Why a stored state exists but cannot be read (a damaged row, a format this
/// version does not know); null otherwise.</param>
public sealed record SequenceLoaded(string SequenceId, SequenceSnapshot? Snapshot, string? Unreadable = null);

/// <summary>→ keeper: write what is pending, then stop (the pipeline has stopped).</summary>
public sealed class StopWhenFlushed
{
    /// <summary>The instance.</summary>
    public static StopWhenFlushed Instance { get; } = new();

    private StopWhenFlushed()
    {
    }
}

/// <summary>Stage or actor → keeper: store this state (it replaces any not yet written for the sequence).</summary>
/// <param name="SequenceId">The sequence.</param>
/// <param name="Snapshot">Its state; the keeper owns the arrays from now on.</param>
public sealed record SaveSequence(string SequenceId, SequenceSnapshot Snapshot);

/// <summary>Stage → keeper: the sequence ended; delete its stored state.</summary>
/// <param name="SequenceId">The sequence.</param>
/// <param name="T">The t of the observation that ended it (a cluster host's gate holds the delete until that
/// observation's prediction is safe); null when not known.</param>
public sealed record DeleteSequence(string SequenceId, long? T = null);

/// <summary>→ keeper: answer <see cref="SequencesFlushed"/> once every save and delete received so far is in the store.</summary>
public sealed class FlushSequences
{
    /// <summary>The instance.</summary>
    public static FlushSequences Instance { get; } = new();

    private FlushSequences()
    {
    }
}

/// <summary>Keeper → the asker of <see cref="FlushSequences"/>: everything is in the store.</summary>
public sealed class SequencesFlushed
{
    /// <summary>The instance.</summary>
    public static SequencesFlushed Instance { get; } = new();

    private SequencesFlushed()
    {
    }
}
