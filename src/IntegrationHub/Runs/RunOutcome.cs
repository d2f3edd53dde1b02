using IntegrationHub.Storage;

namespace IntegrationHub.Runs;

/// <summary>One line of a run's log.</summary>
/// <param name="Level">One of <see cref="RunLogLevels"/>; a log stored by hand may hold another, shown as it is.</param>
internal sealed record RunLogLine(DateTimeOffset At, string Level, string Message);

/// <summary>The levels of run log lines, as they are stored and shown (and as scripts name them: <c>log.warn</c>).</summary>
internal static class RunLogLevels
{
    public const string Info = "info";
    public const string Warn = "warn";
    public const string Error = "error";
}

/// <summary>What executing a run produced. The worker records it and decides on retries.</summary>
/// <param name="Retryable">For failures: whether another attempt may succeed (a timeout or a 5xx, not a script error).</param>
/// <param name="Storage">For successes: the run's storage changes, committed with the outcome. A failed run has none:
/// its changes are dropped, so a retry starts from the storage the failed attempt saw.</param>
/// <param name="Cancelled">The run was stopped because a user cancelled it: it ends Cancelled, not retried.</param>
internal sealed record RunOutcome(
    bool Succeeded,
    int RecordsIn,
    int RecordsOut,
    IReadOnlyList<RunLogLine> Log,
    string? ResultJson = null,
    string? Error = null,
    int? ErrorLine = null,
    int? ErrorColumn = null,
    bool Retryable = false,
    StorageChanges? Storage = null,
    bool Cancelled = false);
