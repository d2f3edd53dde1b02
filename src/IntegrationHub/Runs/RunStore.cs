using System.Data.Common;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IntegrationHub.Runs;

/// <summary>
/// The workers' side of the queue in hand-written SQL: claim, renew leases, record outcomes, sweep expired leases,
/// release on shutdown. Every change to a Running run is conditional on the lease, so a node that lost a run
/// (its lease expired and another node took it) can no longer overwrite it.
/// </summary>
internal sealed class RunStore(HubConnectionString connection, SqliteWriteGate writeGate, IOptions<RunsOptions> options) : IAsyncDisposable
{
    private static readonly JsonSerializerOptions LogJson = new(JsonSerializerDefaults.Web);

    // A claim reads each scenario's free slots (MaxConcurrentRuns less its Running runs), then takes that many of the
    // scenario's oldest available queued runs through the (ScenarioId, Status, QueuedAt, Id) index, then the oldest of
    // those across scenarios. Its cost follows the number of scenarios with work, not the length of the backlog: a
    // claim must stay short because it holds SQLite's one write lock, which the enqueue writer is waiting for.
    private const string ScenarioFreeSlots =
        """s."MaxConcurrentRuns" - (SELECT count(*) FROM "Runs" x WHERE x."ScenarioId" = s."Id" AND x."Status" = 'Running')""";

    private const string FreeSlots =
        $"""
        SELECT s."Id", {ScenarioFreeSlots}
        FROM "Scenarios" s
        WHERE EXISTS (SELECT 1 FROM "Runs" q WHERE q."ScenarioId" = s."Id" AND q."Status" = 'Queued' AND q."AvailableAt" <= @now)
        """;

    private const string OldestQueued =
        """
        SELECT "Id", "QueuedAt" FROM "Runs"
        WHERE "ScenarioId" = @scenario AND "Status" = 'Queued' AND "AvailableAt" <= @now
        ORDER BY "QueuedAt", "Id" LIMIT @take
        """;

    private const string ClaimSet =
        """
        UPDATE "Runs" SET "Status" = 'Running', "LeaseOwner" = @owner, "LeaseExpiresAt" = @lease, "StartedAt" = @now,
            "FinishedAt" = NULL, "Attempts" = "Attempts" + 1
        """;

    // PostgreSQL: nodes claim concurrently. The per-scenario limit needs the Running counts to be read and acted on
    // atomically across nodes, so a claim first takes one transaction-scoped advisory lock: two nodes never claim at
    // the same moment (a claim is one short statement for a whole batch, so this serializes very little), and the
    // claim after the lock sees every claim committed before it (READ COMMITTED takes a new snapshot per statement).
    // The claim is the SQLite claim's three steps in one statement, so that the lock, the claim and the commit travel
    // in one round trip. Whether a scenario has work is a probe of its oldest queued run rather than an EXISTS, which
    // PostgreSQL planned as a sequential scan of the whole runs table behind a long backlog (~250 ms per claim).
    // FOR UPDATE SKIP LOCKED passes over queued rows another transaction holds (a cancel in flight) instead of waiting.
    private const string PostgresClaim =
        $"""
        WITH slots AS (
            SELECT "Id", "Free" FROM (
                SELECT s."Id", {ScenarioFreeSlots} AS "Free"
                FROM "Scenarios" s
                WHERE (SELECT q."QueuedAt" FROM "Runs" q
                       WHERE q."ScenarioId" = s."Id" AND q."Status" = 'Queued' AND q."AvailableAt" <= @now
                       ORDER BY q."QueuedAt" LIMIT 1) IS NOT NULL) AS s
            WHERE "Free" > 0),
        chosen AS (
            SELECT q."Id" FROM slots, LATERAL (
                SELECT "Id", "QueuedAt" FROM "Runs"
                WHERE "ScenarioId" = slots."Id" AND "Status" = 'Queued' AND "AvailableAt" <= @now
                ORDER BY "QueuedAt", "Id" LIMIT LEAST(slots."Free", @take)) AS q
            ORDER BY q."QueuedAt", q."Id" LIMIT @take)
        {ClaimSet}
        WHERE "Id" IN (SELECT "Id" FROM "Runs" WHERE "Id" IN (SELECT "Id" FROM chosen) AND "Status" = 'Queued' FOR UPDATE SKIP LOCKED)
        {ClaimedColumns}
        """;

    // What a worker needs of a run it claimed, returned by the claim itself instead of read again afterwards: the run,
    // and the version of its scenario, by which the worker knows whether the scenario it keeps is still current.
    private const string ClaimedColumns =
        """
        RETURNING "Id", "QueuedAt", "WorkspaceId", "ScenarioId", "Trigger", "Payload", "TriggeredBy", "RetryOf", "ScheduledFor",
            "IdempotencyKey", "AvailableAt", "Attempts", "MaxAttempts",
            (SELECT s."Version" FROM "Scenarios" s WHERE s."Id" = "Runs"."ScenarioId")
        """;

    // The unary + keeps SQLite's planner on the primary key: once it chose an index on Status instead, and the claim
    // walked every queued run instead of looking up the chosen few, slowing down as the backlog grew.
    private const string SqliteQueuedOnly = "+\"Status\" = 'Queued'";

    // A claim need not wait for its WAL flush: if the server crashes before the flush, the claim is lost with it and
    // the runs are still Queued, to be claimed again. That spares a disk flush per claim, on the path of every run.
    private const string PostgresClaimDurability = "SET LOCAL synchronous_commit = off";

    private const string PostgresClaimLock = "SELECT pg_advisory_xact_lock(7318009422)";

    private readonly RunsOptions _options = options.Value;

    // SQLite only: the connection of the claims and outcomes, used in their turns at the write gate (WriteAsync).
    private PreparedCommands? _sqlite;

    public async ValueTask DisposeAsync()
    {
        if (_sqlite is not null)
        {
            await _sqlite.DisposeAsync();
        }
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> runs for <paramref name="owner"/>; returns them in arrival order, as they are
    /// now (Running under <paramref name="owner"/>'s lease), without what earlier attempts recorded, each with the version
    /// its scenario had at the claim.
    /// </summary>
    public Task<List<ClaimedRun>> ClaimAsync(string owner, TimeProvider time, int limit, CancellationToken cancellationToken) =>
        WriteAsync(SqliteWriteGate.Writers.Claim, commands => ClaimAsync(commands, owner, time, limit, cancellationToken), cancellationToken);

    /// <summary>
    /// Runs <paramref name="write"/> in <paramref name="writer"/>'s turn at the write gate. SQLite: the claims and the
    /// outcomes, which take turns there, share one kept connection with their statements prepared, as the enqueue writer
    /// does; parsing and planning them again cost ~190 µs per claim inside the write lock. It is dropped and reopened
    /// after a failure. PostgreSQL: a pooled connection per call.
    /// </summary>
    private async Task<T> WriteAsync<T>(string writer, Func<PreparedCommands, Task<T>> write, CancellationToken cancellationToken)
    {
        using var turn = await writeGate.EnterAsync(writer, cancellationToken);
        if (connection.Provider == DatabaseProvider.Postgres)
        {
            await using var pooled = new PreparedCommands(await HubSql.OpenAsync(connection, cancellationToken));
            return await write(pooled);
        }

        _sqlite ??= new PreparedCommands(await HubSql.OpenAsync(connection, cancellationToken));
        try
        {
            return await write(_sqlite);
        }
        catch
        {
            await _sqlite.DisposeAsync();
            _sqlite = null;
            throw;
        }
    }

    private Task<List<ClaimedRun>> ClaimAsync(PreparedCommands commands, string owner, TimeProvider time, int limit, CancellationToken cancellationToken) =>
        commands.Connection is NpgsqlConnection postgres
            ? ClaimPostgresAsync(postgres, owner, time, limit, cancellationToken)
            : ClaimSqliteAsync(commands, owner, time, limit, cancellationToken);

    /// <summary>SQLite: the free slots, the oldest queued runs of each scenario with some, and the claiming update.</summary>
    private async Task<List<ClaimedRun>> ClaimSqliteAsync(PreparedCommands commands, string owner, TimeProvider time, int limit, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite begins IMMEDIATE, so this transaction holds the single write lock from here on.
        await using var transaction = await commands.Connection.BeginTransactionAsync(cancellationToken);
        // Read the clock only once this transaction holds the write lock: a time read before waiting for it could be
        // earlier than the end of the run whose completion freed the slot.
        var now = time.GetUtcNow();

        var candidates = new List<(long QueuedAt, Guid Id)>();
        foreach (var (scenarioId, free) in await ReadFreeSlotsAsync(commands, transaction, now, cancellationToken))
        {
            var oldest = commands.For(transaction, OldestQueued);
            oldest.Add("scenario", scenarioId);
            oldest.Add("now", now);
            oldest.Add("take", Math.Min(free, limit));
            await using var reader = await oldest.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                candidates.Add((reader.GetInt64(1), HubSql.ReadGuid(reader, 0)));
            }
        }
        var chosen = candidates.Order().Take(limit).ToList();
        if (chosen.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return [];
        }

        var claim = commands.For(transaction,
            $"{ClaimSet} WHERE \"Id\" IN ({string.Join(", ", chosen.Select((_, i) => $"@id{i}"))}) AND {SqliteQueuedOnly} {ClaimedColumns}");
        for (var i = 0; i < chosen.Count; i++)
        {
            claim.Add($"id{i}", chosen[i].Id);
        }
        var lease = now + _options.LeaseDuration;
        claim.Add("owner", owner);
        claim.Add("lease", lease);
        claim.Add("now", now);
        var claimed = new List<ClaimedRun>(chosen.Count);
        await using (var reader = await claim.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(ReadClaimed(reader, owner, now, lease));
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return InArrivalOrder(claimed);
    }

    /// <summary>PostgreSQL: the claim lock, the claim and the commit in one round trip.</summary>
    private async Task<List<ClaimedRun>> ClaimPostgresAsync(NpgsqlConnection connection, string owner, TimeProvider time, int limit, CancellationToken cancellationToken)
    {
        // The clock is read before the lock is granted, which another node's claim may hold for a moment; the times
        // of runs on different nodes are as far apart as the nodes' clocks anyway.
        var now = time.GetUtcNow();
        var lease = now + _options.LeaseDuration;
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgresClaimDurability));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgresClaimLock));
        batch.BatchCommands.Add(new HubSql.Statement(PostgresClaim, [("owner", owner), ("lease", lease), ("now", now), ("take", limit)]).ToBatchCommand());
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        var claimed = new List<ClaimedRun>(limit);
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            // The lock's row first (Npgsql passes over BEGIN and SET, which return none), then the claimed runs.
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(ReadClaimed(reader, owner, now, lease));
            }
        }
        catch
        {
            await HubSql.RollBackAsync(connection);
            throw;
        }
        return InArrivalOrder(claimed);
    }

    // RETURNING comes in no particular order; runs start in arrival order.
    private static List<ClaimedRun> InArrivalOrder(List<ClaimedRun> claimed) => [.. claimed.OrderBy(c => c.Run.QueuedAt).ThenBy(c => c.Run.Id)];

    private static ClaimedRun ReadClaimed(DbDataReader reader, string owner, DateTimeOffset now, DateTimeOffset lease) => new(new Run
    {
        Id = HubSql.ReadGuid(reader, 0),
        QueuedAt = HubSql.ReadTime(reader, 1),
        WorkspaceId = HubSql.ReadGuid(reader, 2),
        ScenarioId = HubSql.ReadGuid(reader, 3),
        Trigger = Enum.Parse<TriggerKind>(reader.GetString(4)),
        Payload = reader.IsDBNull(5) ? null : reader.GetString(5),
        TriggeredBy = reader.IsDBNull(6) ? null : HubSql.ReadGuid(reader, 6),
        RetryOf = reader.IsDBNull(7) ? null : HubSql.ReadGuid(reader, 7),
        ScheduledFor = reader.IsDBNull(8) ? null : HubSql.ReadTime(reader, 8),
        IdempotencyKey = reader.IsDBNull(9) ? null : reader.GetString(9),
        AvailableAt = HubSql.ReadTime(reader, 10),
        Attempts = reader.GetInt32(11),
        MaxAttempts = reader.GetInt32(12),
        Status = RunStatus.Running,
        StartedAt = now,
        LeaseOwner = owner,
        LeaseExpiresAt = lease,
    }, reader.GetInt32(13));

    private static async Task<List<(Guid ScenarioId, int Free)>> ReadFreeSlotsAsync(
        PreparedCommands commands, DbTransaction transaction, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var command = commands.For(transaction, FreeSlots);
        command.Add("now", now);
        var slots = new List<(Guid, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var free = System.Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
            if (free > 0)
            {
                slots.Add((HubSql.ReadGuid(reader, 0), free));
            }
        }
        return slots;
    }

    /// <summary>Extends the leases of every run <paramref name="owner"/> holds; returns the ids it still holds.</summary>
    public async Task<HashSet<Guid>> RenewAsync(string owner, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await writeGate.EnterAsync(SqliteWriteGate.Writers.LeaseRenewal, cancellationToken);
        await using var db = await HubSql.OpenAsync(connection, cancellationToken);
        // PostgreSQL: the rows are locked in id order, the order in which outcomes write them (CompleteAsync), so a
        // renewal and a batch of outcomes cannot deadlock. SQLite has one writer at a time.
        await using var command = HubSql.Command(db, null, db is NpgsqlConnection
            ? """
              UPDATE "Runs" SET "LeaseExpiresAt" = @lease
              WHERE "Id" IN (SELECT "Id" FROM "Runs" WHERE "Status" = 'Running' AND "LeaseOwner" = @owner ORDER BY "Id" FOR UPDATE)
                AND "Status" = 'Running' AND "LeaseOwner" = @owner
              RETURNING "Id"
              """
            : """UPDATE "Runs" SET "LeaseExpiresAt" = @lease WHERE "Status" = 'Running' AND "LeaseOwner" = @owner RETURNING "Id" """);
        command.Add("owner", owner);
        command.Add("lease", now + _options.LeaseDuration);
        return [.. await ReadIdsAsync(command, cancellationToken)];
    }

    /// <summary>
    /// Writes the logs of runs still running, for the live log of the run page, in one transaction. A log is written
    /// only while <paramref name="owner"/> still holds that attempt: one that ended meanwhile keeps its outcome's log.
    /// Returns how many logs were written.
    /// </summary>
    public Task<int> PublishLogsAsync(string owner, IReadOnlyList<LiveRunLog> logs, CancellationToken cancellationToken) =>
        WriteAsync(SqliteWriteGate.Writers.LiveLogs, async commands =>
        {
            // In id order, as outcomes write runs (CompleteAsync): the two cannot deadlock.
            var updated = await commands.ExecuteInTransactionAsync([.. logs.InLockOrder(log => log.RunId).Select(log => new HubSql.Statement(
                """
                UPDATE "Runs" SET "Log" = @log
                WHERE "Id" = @id AND "Status" = 'Running' AND "LeaseOwner" = @owner AND "Attempts" = @attempt
                """,
                [("log", JsonSerializer.Serialize(log.Lines, LogJson)), ("id", log.RunId), ("owner", owner), ("attempt", log.Attempt)]))],
                cancellationToken);
            return updated.Sum();
        }, cancellationToken);

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
        : outcome.Retryable && run.Attempts < run.MaxAttempts ? RunStatus.Queued
        : RunStatus.Failed;

    private HubSql.Statement CompleteStatement(RunCompletion completion, RunStatus status, DateTimeOffset now)
    {
        var (run, outcome, owner) = completion;
        var retry = status == RunStatus.Queued;
        var availableAt = retry ? now + RetryBackoff.Delay(run.Attempts, _options.RetryBaseDelay, _options.RetryMaxDelay) : run.AvailableAt;
        return new HubSql.Statement(
            """
            UPDATE "Runs" SET "Status" = @status, "FinishedAt" = @finished, "AvailableAt" = @available, "LeaseExpiresAt" = NULL, "RecordsIn" = @in, "RecordsOut" = @out, "Log" = @log,
                "Result" = @result, "Error" = @error, "ErrorLine" = @line, "ErrorColumn" = @column
            WHERE "Id" = @id AND "Status" = 'Running' AND "LeaseOwner" = @owner
            """,
            [
                ("status", status), ("finished", retry ? null : now), ("available", availableAt), ("in", outcome.RecordsIn),
                ("out", outcome.RecordsOut), ("log", JsonSerializer.Serialize(outcome.Log, LogJson)), ("result", outcome.ResultJson),
                ("error", outcome.Error), ("line", outcome.ErrorLine), ("column", outcome.ErrorColumn), ("id", run.Id), ("owner", owner),
            ]);
    }

    /// <summary>
    /// Returns Running runs whose lease expired (their node died or hung) to the queue, or fails them when that was
    /// their last attempt. The claim already counted the attempt. Returns how many runs were swept.
    /// </summary>
    public async Task<int> SweepExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await writeGate.EnterAsync(SqliteWriteGate.Writers.LeaseSweep, cancellationToken);
        await using var db = await HubSql.OpenAsync(connection, cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        var requeued = new List<Guid>();
        var swept = 0;
        await using (var command = HubSql.Command(db, transaction,
            """
            UPDATE "Runs" SET
                "Status" = CASE WHEN "Attempts" >= "MaxAttempts" THEN 'Failed' ELSE 'Queued' END,
                "FinishedAt" = CASE WHEN "Attempts" >= "MaxAttempts" THEN @now ELSE NULL END,
                "Error" = 'The node running this attempt (' || COALESCE("LeaseOwner", '?') || ') stopped renewing its lease.',
                "AvailableAt" = @now, "LeaseOwner" = NULL, "LeaseExpiresAt" = NULL
            WHERE "Status" = 'Running' AND "LeaseExpiresAt" < @now
            RETURNING "ScenarioId", "Status"
            """))
        {
            command.Add("now", now);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                swept++;
                if (reader.GetString(1) == nameof(RunStatus.Queued))
                {
                    requeued.Add(HubSql.ReadGuid(reader, 0));
                }
            }
        }
        await HubSql.ExecuteAsync(db, transaction, [.. QueuedRunsBound.Raise(requeued)], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return swept;
    }

    /// <summary>
    /// Puts a run this node started but will not finish (shutting down) back on the queue, available at once. The
    /// attempt is not counted: the run did not fail, the node left.
    /// </summary>
    public async Task<bool> ReleaseAsync(Guid runId, string owner, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await writeGate.EnterAsync(SqliteWriteGate.Writers.Release, cancellationToken);
        await using var db = await HubSql.OpenAsync(connection, cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        await using var command = HubSql.Command(db, transaction,
            """
            UPDATE "Runs" SET "Status" = 'Queued', "Attempts" = "Attempts" - 1, "AvailableAt" = @now, "StartedAt" = NULL,
                "LeaseOwner" = NULL, "LeaseExpiresAt" = NULL
            WHERE "Id" = @id AND "Status" = 'Running' AND "LeaseOwner" = @owner
            RETURNING "ScenarioId"
            """);
        command.Add("id", runId);
        command.Add("owner", owner);
        command.Add("now", now);
        var released = await ReadIdsAsync(command, cancellationToken);
        await HubSql.ExecuteAsync(db, transaction, [.. QueuedRunsBound.Raise(released)], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return released.Count == 1;
    }

    private static async Task<List<Guid>> ReadIdsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(HubSql.ReadGuid(reader, 0));
        }
        return ids;
    }
}

/// <summary>The log so far of one attempt (<paramref name="Attempt"/>) of a run still running.</summary>
internal sealed record LiveRunLog(Guid RunId, int Attempt, RunLogLine[] Lines);
