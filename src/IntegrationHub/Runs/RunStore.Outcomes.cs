using IntegrationHub.Data;
using IntegrationHub.Storage;

namespace IntegrationHub.Runs;

// Recording outcomes: a group of attempts with the storage changes of the successes, in one transaction.
internal sealed partial class RunStore
{
    /// <summary>
    /// Records an attempt's outcome. A failure the executor calls retryable, with attempts left, goes back to the queue
    /// after a backoff; any other failure is final. Returns the status recorded, or null when the lease was lost: the
    /// run is another node's now, or another attempt's (the same node may claim it again once its lease expired).
    /// </summary>
    public async Task<RunStatus?> CompleteAsync(Run run, RunOutcome outcome, string owner, DateTimeOffset now, CancellationToken cancellationToken) =>
        (await CompleteAsync([new RunCompletion(run, outcome, owner)], now, cancellationToken))[0];

    /// <summary>
    /// Records the outcomes of <paramref name="completions"/> in one transaction, each as the single overload does, and
    /// with each success its storage changes; a run whose lease was lost records nothing, its storage changes neither.
    /// </summary>
    public Task<RunStatus?[]> CompleteAsync(IReadOnlyList<RunCompletion> completions, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(SqliteWriteGate.Writers.Outcomes, commands => CompleteAsync(commands, completions, now, cancellationToken), cancellationToken);

    private async Task<RunStatus?[]> CompleteAsync(
        PreparedCommands commands, IReadOnlyList<RunCompletion> completions, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // One transaction, and on PostgreSQL one round trip: the outcomes, then the storage changes of the successes
        // (each written only where its run's outcome was, see ScenarioStorage), then the queue bounds of the retries.
        // A retry whose outcome was not recorded (the lease was lost) raises its bound all the same, which leaves the
        // bound an upper bound, as it must be. Each kind of row is written in one order that every writer follows (runs
        // by id, storage entries by scenario and key, scenarios by id), so that two nodes' outcomes, or outcomes and
        // the live logs or lease renewals of the same runs, cannot deadlock.
        var order = Enumerable.Range(0, completions.Count).InLockOrder(i => completions[i].Run.Id).ToArray();
        var statuses = completions.Select(c => Status(c.Run, c.Outcome)).ToArray();
        var storage =
            from i in order
            where statuses[i] == RunStatus.Succeeded
            let completion = completions[i]
            from change in completion.Outcome.Storage?.Changes ?? []
            select (completion.Run.ScenarioId, change.Key, Statement: ScenarioStorage.RunOutcomeStatement(
                completion.Run.Id, completion.Owner, completion.Run.WorkspaceId, completion.Run.ScenarioId, change, now));
        List<HubSql.Statement> statements =
        [
            .. order.Select(i => CompleteStatement(completions[i], statuses[i], now)),
            .. storage.InLockOrder(s => s.ScenarioId).ThenBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Statement),
            .. QueuedRunsBound.Raise(order.Where(i => statuses[i] == RunStatus.Queued).Select(i => completions[i].Run.ScenarioId)),
        ];

        var affected = await commands.ExecuteInTransactionAsync(statements, cancellationToken);
        var recorded = new RunStatus?[completions.Count];
        for (var k = 0; k < order.Length; k++)
        {
            recorded[order[k]] = affected[k] == 1 ? statuses[order[k]] : null;
        }
        return recorded;
    }

    private static RunStatus Status(Run run, RunOutcome outcome) =>
        outcome.Succeeded ? RunStatus.Succeeded
        : outcome.Cancelled ? RunStatus.Cancelled
        : outcome.Retryable && run.Attempts < run.MaxAttempts ? RunStatus.Queued
        : RunStatus.Failed;

    /// <summary>
    /// The error of a run asked to stop that failed, as retryable, before its node heard of the request: it ends
    /// Cancelled, and the failure it had (a 503) stays in its log rather than reading as what ended it.
    /// </summary>
    internal const string CancelledBeforeItsRetry = "Cancelled on request; its attempt had failed meanwhile, and was not retried.";

    private HubSql.Statement CompleteStatement(RunCompletion completion, RunStatus status, DateTimeOffset now)
    {
        var (run, outcome, owner) = completion;
        var retry = status == RunStatus.Queued;
        var availableAt = retry ? now + RetryBackoff.Delay(run.Attempts, _options.RetryBaseDelay, _options.RetryMaxDelay) : run.AvailableAt;
        // A retry of a run a user asked to stop, before this node heard of it, ends Cancelled instead. The status
        // returned for it says Queued: that raises its scenario's queue bound needlessly, which an upper bound allows.
        return new HubSql.Statement(
            """
            UPDATE "Runs" SET
                "Status" = CASE WHEN "CancelRequestedAt" IS NOT NULL AND @status = 'Queued' THEN 'Cancelled' ELSE @status END,
                "FinishedAt" = CASE WHEN "CancelRequestedAt" IS NOT NULL AND @status = 'Queued' THEN @now ELSE @finished END, "AvailableAt" = @available, "LeaseExpiresAt" = NULL, "RecordsIn" = @in, "RecordsOut" = @out, "Log" = @log,
                "Result" = @result, "Error" = CASE WHEN "CancelRequestedAt" IS NOT NULL AND @status = 'Queued' THEN @cancelled ELSE @error END,
                "ErrorLine" = @line, "ErrorColumn" = @column
            WHERE "Id" = @id AND "Status" = 'Running' AND "LeaseOwner" = @owner AND "Attempts" = @attempt
            """,
            [
                ("status", status), ("finished", retry ? null : now), ("now", now), ("available", availableAt), ("in", outcome.RecordsIn),
                ("out", outcome.RecordsOut), ("log", StoredRunLog.ToJson(outcome.Log)), ("result", outcome.ResultJson),
                ("error", DatabaseText.Valid(outcome.Error)), ("cancelled", CancelledBeforeItsRetry), ("line", outcome.ErrorLine), ("column", outcome.ErrorColumn), ("id", run.Id), ("owner", owner), ("attempt", run.Attempts),
            ]);
    }
}
