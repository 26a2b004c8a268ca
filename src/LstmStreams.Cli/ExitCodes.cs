namespace LstmStreams.Cli;

/// <summary>
/// What the <c>lstm-streams</c> process returns, for scripts (README, "Exit codes"). 2, 3 and 4 follow the common
/// usage / input / output split; 130 is the shell's code for an interrupt (here a normal exit after the graceful save).
/// </summary>
internal static class ExitCodes
{
    /// <summary>Done: the input was consumed (at most --max-errors lines became error records).</summary>
    public const int Ok = 0;

    /// <summary>An unexpected failure (a bug, or a node of a cluster downed).</summary>
    public const int Failed = 1;

    /// <summary>Bad arguments or settings (a usage error, a model file refused, an unusable config).</summary>
    public const int Usage = 2;

    /// <summary>The input cannot be read.</summary>
    public const int Input = 3;

    /// <summary>An output (predictions, error records) cannot be written.</summary>
    public const int Output = 4;

    /// <summary>No line became a prediction, and error records were written (the wrong format, the wrong fields?).</summary>
    public const int NothingPredicted = 5;

    /// <summary>More than --max-errors lines became error records: the run stopped there.</summary>
    public const int TooManyErrors = 6;

    /// <summary><c>node</c>: the cluster refused this node (another model file, another store).</summary>
    public const int Refused = 7;

    /// <summary>Interrupted (Ctrl-C, SIGTERM) before the input ended; what was admitted was emitted and saved.</summary>
    public const int Interrupted = 130;
}
