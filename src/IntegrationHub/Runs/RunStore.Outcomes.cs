using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Storage;
using Npgsql;

namespace IntegrationHub.Runs;

// Recording outcomes: a group of attempts with the storage changes of the successes, in one transaction.
internal sealed partial class RunStore
{
    /// <summary>
    /// Records an attempt's outcome. A failure the executor calls retryable, with attempts left, goes back to the queue
    /// after a backoff; any other failure is final. Returns the status recorded, or null when the lease was lost.
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
        var statuses = completions.Select(c => Status(c.Run, c.Outcome)).ToArray();
        // Each kind of row is written in one order that every writer follows (runs by id, storage entries by scenario
        // and key, scenarios by id), so that two nodes' outcomes, or outcomes and the live logs or lease renewals of the
        // same runs, cannot deadlock. A key that two runs of the group changed keeps the value of the run with the greater id.
        var order = Enumerable.Range(0, completions.Count).InLockOrder(i => completions[i].Run.Id).ToArray();
        var storage = (
            from i in order
            where statuses[i] == RunStatus.Succeeded
            let completion = completions[i]
            from change in completion.Outcome.Storage?.Changes ?? []
            select new RunStorageChange(completion.Run.Id, completion.Owner, completion.Run.WorkspaceId, completion.Run.ScenarioId, change))
            .InLockOrder(c => c.ScenarioId).ThenBy(c => c.Change.Key, StringComparer.Ordinal)
            .ToList();
        // A retry whose outcome was not recorded (the lease was lost) raises its bound all the same, which leaves the
        // bound an upper bound, as it must be.
        var bounds = QueuedRunsBound.Raise(order.Where(i => statuses[i] == RunStatus.Queued).Select(i => completions[i].Run.ScenarioId)).ToList();
        var values = completions.Select((c, i) => OutcomeValues.Of(c, statuses[i], now, _options)).ToArray();

        var recorded = commands.Connection is NpgsqlConnection postgres
            ? await CompletePostgresAsync(postgres, values, storage, bounds, now, cancellationToken)
            : await CompleteOneByOneAsync(commands, [.. order.Select(i => values[i])], storage, bounds, now, cancellationToken);
        return [.. values.Select(v => recorded.Contains(v.Id) ? v.Status : (RunStatus?)null)];
    }

    /// <summary>
    /// SQLite: a statement per outcome and per storage change, prepared and in process, in one transaction: the
    /// outcomes, then the storage changes of the successes (each written only where its run's outcome was, see
    /// ScenarioStorage), then the queue bounds of the retries. Returns the runs whose outcome was recorded.
    /// </summary>
    private static async Task<HashSet<Guid>> CompleteOneByOneAsync(
        PreparedCommands commands, OutcomeValues[] inLockOrder, List<RunStorageChange> storage, List<HubSql.Statement> bounds,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        List<HubSql.Statement> statements =
        [
            .. inLockOrder.Select(OutcomeStatement),
            .. storage.Select(change => ScenarioStorage.RunOutcomeStatement(change, now)),
            .. bounds,
        ];
        var affected = await commands.ExecuteInTransactionAsync(statements, cancellationToken);
        return [.. inLockOrder.Where((_, k) => affected[k] == 1).Select(v => v.Id)];
    }

    private static RunStatus Status(Run run, RunOutcome outcome) =>
        outcome.Succeeded ? RunStatus.Succeeded
        : outcome.Retryable && run.Attempts < run.MaxAttempts ? RunStatus.Queued
        : RunStatus.Failed;

    private static HubSql.Statement OutcomeStatement(OutcomeValues outcome) => new(
        """
        UPDATE "Runs" SET "Status" = @status, "FinishedAt" = @finished, "AvailableAt" = @available, "LeaseExpiresAt" = NULL, "RecordsIn" = @in, "RecordsOut" = @out, "Log" = @log,
            "Result" = @result, "Error" = @error, "ErrorLine" = @line, "ErrorColumn" = @column
        WHERE "Id" = @id AND "Status" = 'Running' AND "LeaseOwner" = @owner
        """,
        [
            ("status", outcome.Status), ("finished", outcome.FinishedAt), ("available", outcome.AvailableAt), ("in", outcome.RecordsIn),
            ("out", outcome.RecordsOut), ("log", outcome.Log), ("result", outcome.Result), ("error", outcome.Error),
            ("line", outcome.ErrorLine), ("column", outcome.ErrorColumn), ("id", outcome.Id), ("owner", outcome.Owner),
        ]);

    /// <summary>What recording an attempt's outcome writes to its run, where the run is still Running under <see cref="Owner"/>.</summary>
    private readonly record struct OutcomeValues(
        Guid Id, string Owner, RunStatus Status, DateTimeOffset? FinishedAt, DateTimeOffset AvailableAt, int RecordsIn, int RecordsOut,
        string Log, string? Result, string? Error, int? ErrorLine, int? ErrorColumn)
    {
        public static OutcomeValues Of(RunCompletion completion, RunStatus status, DateTimeOffset now, RunsOptions options)
        {
            var (run, outcome, owner) = completion;
            // A retry waits out its backoff in the queue; an ended run keeps the AvailableAt it ran at.
            var retry = status == RunStatus.Queued;
            return new(
                run.Id, owner, status,
                retry ? null : now,
                retry ? now + RetryBackoff.Delay(run.Attempts, options.RetryBaseDelay, options.RetryMaxDelay) : run.AvailableAt,
                outcome.RecordsIn, outcome.RecordsOut, JsonSerializer.Serialize(outcome.Log, LogJson), outcome.ResultJson,
                DatabaseText.Valid(outcome.Error), outcome.ErrorLine, outcome.ErrorColumn);
        }
    }
}
