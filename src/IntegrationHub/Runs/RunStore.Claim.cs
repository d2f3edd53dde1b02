using System.Data.Common;
using IntegrationHub.Data;
using Npgsql;

namespace IntegrationHub.Runs;

// Claiming queued runs: SQLite's claim in three steps under its write lock, PostgreSQL's in one statement.
internal sealed partial class RunStore
{
    // A claim reads each scenario's free slots (MaxConcurrentRuns less its Running runs, counted in IX_Runs_Running), then
    // takes that many of the scenario's oldest available queued runs through IX_Runs_Queued, then the oldest of those
    // across scenarios. Its cost follows the number of scenarios with work, not the length of the backlog: a
    // claim must stay short because it holds SQLite's one write lock, which the enqueue writer is waiting for.
    private const string ScenarioFreeSlots =
        """s."MaxConcurrentRuns" - (SELECT count(*) FROM "Runs" x WHERE x."ScenarioId" = s."Id" AND x."Status" = 'Running')""";

    // The scenarios with queued runs, found by skipping through IX_Runs_Queued from one scenario to the next (a loose
    // index scan): as many index lookups as there are such scenarios, however many scenarios there are and however
    // long their queues. Reading every scenario instead made a claim cost as much per idle scenario as per busy one.
    private const string ScenariosWithQueuedRuns =
        """
        queued("ScenarioId") AS (
            SELECT (SELECT "ScenarioId" FROM "Runs" WHERE "Status" = 'Queued' ORDER BY "ScenarioId" LIMIT 1)
            UNION ALL
            SELECT (SELECT r."ScenarioId" FROM "Runs" r WHERE r."Status" = 'Queued' AND r."ScenarioId" > queued."ScenarioId" ORDER BY r."ScenarioId" LIMIT 1)
            FROM queued WHERE queued."ScenarioId" IS NOT NULL)
        """;

    internal const string FreeSlots =
        $"""
        WITH RECURSIVE {ScenariosWithQueuedRuns}
        SELECT s."Id", {ScenarioFreeSlots}
        FROM queued JOIN "Scenarios" s ON s."Id" = queued."ScenarioId"
        WHERE EXISTS (SELECT 1 FROM "Runs" q WHERE q."ScenarioId" = s."Id" AND q."Status" = 'Queued' AND q."AvailableAt" <= @now)
        """;

    internal const string OldestQueued =
        """
        SELECT "Id", "QueuedAt" FROM "Runs"
        WHERE "ScenarioId" = @scenario AND "Status" = 'Queued' AND "AvailableAt" <= @now
        ORDER BY "QueuedAt", "Id" LIMIT @take
        """;

    private const string ClaimSet =
        """
        UPDATE "Runs" SET "Status" = 'Running', "LeaseOwner" = @owner, "LeaseExpiresAt" = @lease, "StartedAt" = COALESCE("StartedAt", @now),
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
    // The chosen runs are looked up by primary key as arrays (= ANY(ARRAY(...))) rather than joined (IN (SELECT ...)):
    // the generic plan PostgreSQL switches a prepared claim to after its first executions hash-joined them with a
    // scan of the whole runs table, history included (52 against 5 ms per claim at 11,000 runs, 1,000 scenarios).
    private const string PostgresClaim =
        $"""
        WITH RECURSIVE {ScenariosWithQueuedRuns},
        slots AS (
            SELECT "Id", "Free" FROM (
                SELECT s."Id", {ScenarioFreeSlots} AS "Free"
                FROM queued JOIN "Scenarios" s ON s."Id" = queued."ScenarioId"
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
        WHERE "Id" = ANY(ARRAY(SELECT "Id" FROM "Runs" WHERE "Id" = ANY(ARRAY(SELECT "Id" FROM chosen)) AND "Status" = 'Queued' FOR UPDATE SKIP LOCKED))
        {ClaimedColumns}
        """;

    // What a worker needs of a run it claimed, returned by the claim itself instead of read again afterwards: the run,
    // the version of its scenario, by which the worker knows whether the scenario it keeps is still current, and the
    // error and log of its earlier attempts, if any, which the new attempt's log begins with. (A first attempt's are
    // null.) StartedAt stays the first attempt's: a run's start and duration are the run's, retries and waits included.
    private const string ClaimedColumns =
        """
        RETURNING "Id", "QueuedAt", "WorkspaceId", "ScenarioId", "Trigger", "Payload", "TriggeredBy", "RetryOf", "ScheduledFor",
            "IdempotencyKey", "AvailableAt", "Attempts", "MaxAttempts",
            (SELECT s."Version" FROM "Scenarios" s WHERE s."Id" = "Runs"."ScenarioId"), "Error", "Log", "StartedAt"
        """;

    // The unary + keeps SQLite's planner on the primary key: once it chose an index on Status instead, and the claim
    // walked every queued run instead of looking up the chosen few, slowing down as the backlog grew.
    private const string SqliteQueuedOnly = "+\"Status\" = 'Queued'";

    // A claim need not wait for its WAL flush: if the server crashes before the flush, the claim is lost with it and
    // the runs are still Queued, to be claimed again. That spares a disk flush per claim, on the path of every run.
    private const string PostgresClaimDurability = "SET LOCAL synchronous_commit = off";

    private const string PostgresClaimLock = "SELECT pg_advisory_xact_lock(7318009422)";

    /// <summary>
    /// Claims up to <paramref name="limit"/> runs for <paramref name="owner"/>; returns them in arrival order, as they are
    /// now (Running under <paramref name="owner"/>'s lease), without what earlier attempts recorded, each with the version
    /// its scenario had at the claim.
    /// </summary>
    public Task<List<ClaimedRun>> ClaimAsync(string owner, TimeProvider time, int limit, CancellationToken cancellationToken) =>
        WriteAsync(SqliteWriteGate.Writers.Claim, commands => ClaimAsync(commands, owner, time, limit, cancellationToken), cancellationToken);

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
                claimed.Add(ReadClaimed(reader, owner, lease));
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
                claimed.Add(ReadClaimed(reader, owner, lease));
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

    private static ClaimedRun ReadClaimed(DbDataReader reader, string owner, DateTimeOffset lease) => new(new Run
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
        StartedAt = HubSql.ReadTime(reader, 16),
        LeaseOwner = owner,
        LeaseExpiresAt = lease,
    }, reader.GetInt32(13), reader.IsDBNull(14) ? null : reader.GetString(14), reader.IsDBNull(15) ? null : reader.GetString(15));

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
}
