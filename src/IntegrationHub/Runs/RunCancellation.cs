using IntegrationHub.Data;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Runs;

/// <summary>
/// Cancels runs for the API and the run page. A Queued run is cancelled at once. A Running run is asked to stop: its node
/// stops it at once when it is this node or hears of it through PostgreSQL's NOTIFY, and at its next lease renewal
/// (a third of <c>Runs:LeaseDuration</c>) otherwise, then records it Cancelled. What the run had already sent to a
/// target stays sent; its storage changes are dropped, as a failed run's are.
/// </summary>
internal sealed class RunCancellation(HubDbContext db, RunSignals signals, HubConnectionString connection, TimeProvider time)
{
    /// <summary>The error of a run cancelled while Queued, for its next attempt (a retry's backoff) or its first.</summary>
    public const string CancelledWhileQueued = "Cancelled on request while queued for its next attempt.";

    /// <summary>Cancels, or asks to stop, the run of <paramref name="workspaceId"/>; null when it has no such run.</summary>
    public async Task<(CancelResult Result, Run Run)?> CancelAsync(Guid runId, Guid workspaceId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // A run waiting out a retry's backoff kept the failed attempt's error (a 503) as if that had ended it: the error
        // now says it was cancelled, and its log, which tells of the failed attempt, says so as its last line.
        var cancelLine = StoredRunLog.ToJson([new RunLogLine(now, RunLogLevels.Warn, CancelledWhileQueued)])[1..^1];
        // Both conditional: a worker may claim the run, end it or queue it for a retry at this very moment. A run that
        // went from Running back to Queued between the two is met by the next round.
        var result = CancelResult.Cancelled;
        var changed = 0;
        for (var round = 0; round < 2 && changed == 0; round++)
        {
            result = CancelResult.Cancelled;
            changed = await db.Runs
                .Where(r => r.Id == runId && r.WorkspaceId == workspaceId && r.Status == RunStatus.Queued)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(r => r.Status, RunStatus.Cancelled)
                    .SetProperty(r => r.FinishedAt, now)
                    .SetProperty(r => r.Error, CancelledWhileQueued)
                    .SetProperty(r => r.ErrorLine, (int?)null)
                    .SetProperty(r => r.ErrorColumn, (int?)null)
#pragma warning disable CA1845 // SQL (substr), not .NET: spans do not translate.
                    .SetProperty(r => r.Log, r => r.Log == null || r.Log.Length < 3
                        ? "[" + cancelLine + "]"
                        : r.Log.Substring(0, r.Log.Length - 1) + "," + cancelLine + "]"), cancellationToken);
#pragma warning restore CA1845
            if (changed == 0)
            {
                result = CancelResult.Stopping;
                changed = await db.Runs
                    .Where(r => r.Id == runId && r.WorkspaceId == workspaceId && r.Status == RunStatus.Running && r.CancelRequestedAt == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.CancelRequestedAt, now), cancellationToken);
            }
        }

        // Read before the node is told, so that the answer shows the run as the request found it.
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId && r.WorkspaceId == workspaceId, cancellationToken);
        if (run is null)
        {
            return null;
        }
        if (changed == 0)
        {
            // Asked before and still stopping, or ended meanwhile (or long ago).
            result = run is { Status: RunStatus.Running, CancelRequestedAt: not null } ? CancelResult.Stopping : CancelResult.Ended;
        }
        else if (result == CancelResult.Stopping)
        {
            await TellTheNodeAsync(runId, cancellationToken);
        }
        return (result, run);
    }

    /// <summary>
    /// Stops the runs of <paramref name="scenarioId"/>, just deleted, that are still executing: at once on this node and,
    /// through NOTIFY, on the others (a node that misses it finds the runs gone at its next lease renewal). Their rows
    /// went with the scenario, so nothing is recorded: without this they went on calling their targets for up to a
    /// renewal's period, runs nobody could see or cancel any more.
    /// </summary>
    public async Task StopRunsOfDeletedScenarioAsync(Guid scenarioId, CancellationToken cancellationToken)
    {
        signals.DeletedScenario(scenarioId);
        if (connection.Provider == DatabaseProvider.Postgres)
        {
            var payload = RunNotificationListener.DeletedPayload(scenarioId);
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({RunNotificationListener.Channel}, {payload})", cancellationToken);
        }
    }

    private async Task TellTheNodeAsync(Guid runId, CancellationToken cancellationToken)
    {
        signals.RequestCancel(runId);
        if (connection.Provider == DatabaseProvider.Postgres)
        {
            // The other nodes; one that misses it (not listening at the moment) sees the request at its next renewal.
            var payload = RunNotificationListener.CancelPayload(runId);
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({RunNotificationListener.Channel}, {payload})", cancellationToken);
        }
    }
}

/// <summary>What <see cref="RunCancellation.CancelAsync"/> did.</summary>
internal enum CancelResult
{
    /// <summary>The run was Queued and is now Cancelled.</summary>
    Cancelled,
    /// <summary>The run is Running and was asked to stop; it becomes Cancelled when its node has stopped it.</summary>
    Stopping,
    /// <summary>The run had ended already: nothing was changed.</summary>
    Ended,
}
