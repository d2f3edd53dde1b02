using IntegrationHub.Runs;

namespace IntegrationHub.Scripting;

/// <summary>What a Source Script produced. The log is kept on failure too: it shows how far the script got.</summary>
/// <param name="RecordsJson">On success: the records to pass on, as a JSON array.</param>
/// <param name="RecordCount">On success: the number of elements in <paramref name="RecordsJson"/>.</param>
/// <param name="Error">On failure: what went wrong and where.</param>
internal sealed record ScriptResult(string? RecordsJson, int RecordCount, IReadOnlyList<RunLogLine> Log, ScriptError? Error)
{
    // A run's error, as long as a log line may be by default.
    private const int MaxErrorChars = 4_096;

    public bool Succeeded => Error is null;

    /// <summary>A failed script's result: no records, the log it wrote, and <paramref name="error"/> cut to a size a run keeps.</summary>
    internal static ScriptResult Failed(ScriptLog log, ScriptError error) =>
        // A thrown message can be megabytes ('x'.repeat(2e7)); the run's error travels in every list of runs.
        new(null, 0, log.Lines, error with { Message = TextCut.Shorten(error.Message, MaxErrorChars, $"… (cut at {MaxErrorChars:N0} characters)") });
}

/// <summary>Why a script failed, with its 1-based line and column where the failure has one.</summary>
/// <param name="Retryable">Whether another attempt may succeed: true only when the hub's own storage failed under the script.</param>
internal sealed record ScriptError(ScriptErrorKind Kind, string Message, int? Line, int? Column, bool Retryable = false);

/// <summary>The kinds of script failure; each limit has its own so the run page can say which one bit.</summary>
internal enum ScriptErrorKind
{
    /// <summary>The script does not parse.</summary>
    Syntax,
    /// <summary>The script threw, or called a helper wrongly.</summary>
    Runtime,
    /// <summary>The script ran past its timeout.</summary>
    Timeout,
    /// <summary>
    /// The script never started: it waited its whole timeout for a turn (<see cref="ScriptingOptions.MaxConcurrentScripts"/>)
    /// while other scripts ran. Retryable, since it never ran.
    /// </summary>
    NoTurn,
    /// <summary>The script allocated more than <see cref="ScriptingOptions.MemoryLimitBytes"/>.</summary>
    MemoryLimit,
    /// <summary>The script executed more than <see cref="ScriptingOptions.MaxStatements"/>.</summary>
    StatementLimit,
    /// <summary>The script recursed deeper than <see cref="ScriptingOptions.RecursionLimit"/>.</summary>
    RecursionLimit,
    /// <summary>The data given to the script, or the value it returned, is not JSON.</summary>
    InvalidData,
    /// <summary>The hub's storage failed during a <c>storage</c> helper call.</summary>
    Storage,
}
