using IntegrationHub.Data;
using Npgsql;

namespace IntegrationHub.Runs;

// PostgreSQL's enqueue: several nodes write to the queue at once.
internal sealed partial class RunQueue
{
    // Raises the scenario's bound by the runs it inserts, and inserts them, only where the bound vouches for them; the
    // UPDATE takes the scenario's row lock, and under READ COMMITTED re-reads the bound once the lock is granted. It
    // names the newest of them the scenario's last run as well (LastRunUpdates).
    private const string PostgresInsertWithinBound =
        """
        WITH admitted AS (
            UPDATE "Scenarios" SET "QueuedRunsBound" = "QueuedRunsBound" + @count, "LastRunId" = @last
            WHERE "Id" = @scenario AND "QueuedRunsBound" + @count <= @least
            RETURNING "Id")
        INSERT INTO "Runs" ("Id", "WorkspaceId", "ScenarioId", "Status", "Trigger", "Payload", "TriggeredBy", "RetryOf",
            "ScheduledFor", "IdempotencyKey", "QueuedAt", "AvailableAt", "Attempts", "MaxAttempts", "RecordsIn", "RecordsOut")
        SELECT r.id, r.workspace, a."Id", 'Queued', r.trigger, r.payload, r.triggered_by, r.retry_of, NULL, NULL, @now, @now, 0, r.max_attempts, 0, 0
        FROM admitted a, unnest(@ids, @workspaces, @triggers, @payloads, @triggeredBy, @retryOf, @maxAttempts)
            AS r(id, workspace, trigger, payload, triggered_by, retry_of, max_attempts)
        """;

    private const string SetLastRunIfInserted = SetLastRun + """ AND EXISTS (SELECT 1 FROM "Runs" WHERE "Id" = @run)""";

    private const string PostgresQueuedCounts =
        """
        SELECT s."Id", s."QueuedRunsBound", CASE WHEN s."QueuedRunsBound" + a.arriving > a.least THEN (SELECT count(*) FROM (
            SELECT 1 FROM "Runs" r WHERE r."ScenarioId" = s."Id" AND r."Status" = 'Queued' LIMIT a.most) AS q)::int END
        FROM unnest(@ids, @arriving, @least, @most) AS a(id, arriving, least, most) JOIN "Scenarios" s ON s."Id" = a.id
        """;

    /// <summary>
    /// PostgreSQL's common case in one round trip: the runs of each scenario whose queue bound vouches for them are
    /// inserted by one statement that raises the bound and locks the scenario's row, as the full path does. Runs with
    /// an Idempotency-Key or a schedule occurrence, and the runs of scenarios whose bound cannot vouch for them, are
    /// left (null) to <see cref="WritePostgresAsync"/>, which counts.
    /// </summary>
    private static async Task<EnqueueResult?[]> AdmitWithinBoundsAsync(
        NpgsqlConnection connection, IReadOnlyList<NewRun> batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var results = new EnqueueResult?[batch.Count];
        var groups = Enumerable.Range(0, batch.Count)
            .Where(i => batch[i].IdempotencyKey is null && batch[i].ScheduledFor is null)
            .GroupBy(i => batch[i].ScenarioId)
            .InLockOrder(g => g.Key)
            .Select(g => g.ToArray())
            .ToList();
        if (groups.Count == 0)
        {
            return results;
        }

        var ids = batch.Select(_ => Guid.CreateVersion7(now)).ToArray();
        await using var write = new NpgsqlBatch(connection);
        write.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        foreach (var group in groups)
        {
            var runs = group.Select(i => batch[i]).ToArray();
            var insert = new NpgsqlBatchCommand(PostgresInsertWithinBound);
            insert.Parameters.AddWithValue("scenario", runs[0].ScenarioId);
            insert.Parameters.AddWithValue("count", runs.Length);
            insert.Parameters.AddWithValue("least", runs.Min(r => r.MaxQueuedRuns));
            insert.Parameters.AddWithValue("now", now.UtcTicks);
            insert.Parameters.AddWithValue("ids", group.Select(i => ids[i]).ToArray());
            insert.Parameters.AddWithValue("last", Newest(group.Select(i => ids[i])));
            insert.Parameters.AddWithValue("workspaces", runs.Select(r => r.WorkspaceId).ToArray());
            insert.Parameters.AddWithValue("triggers", runs.Select(r => r.Trigger.ToString()).ToArray());
            insert.Parameters.AddWithValue("payloads", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, runs.Select(r => r.Payload).ToArray());
            insert.Parameters.AddWithValue("triggeredBy", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid, runs.Select(r => r.TriggeredBy).ToArray());
            insert.Parameters.AddWithValue("retryOf", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid, runs.Select(r => r.RetryOf).ToArray());
            insert.Parameters.AddWithValue("maxAttempts", runs.Select(r => Math.Max(1, r.MaxAttempts)).ToArray());
            write.BatchCommands.Add(insert);
        }
        // Delivered by PostgreSQL only when the transaction commits: other nodes wake and claim.
        write.BatchCommands.Add(new NpgsqlBatchCommand($"NOTIFY {RunNotificationListener.Channel}"));
        write.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        try
        {
            await write.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            await HubSql.RollBackAsync(connection);
            throw;
        }

        for (var g = 0; g < groups.Count; g++)
        {
            // All of a scenario's runs or none: none when its bound could not vouch for them.
            if (write.BatchCommands[g + 1].RecordsAffected == groups[g].Length)
            {
                foreach (var i in groups[g])
                {
                    results[i] = new EnqueueResult.Queued(ids[i]);
                }
            }
        }
        return results;
    }

    private static async Task<EnqueueResult[]> WritePostgresAsync(
        NpgsqlConnection connection, List<NewRun> batch, ArrivalLimits[] arrivals, (Guid, string)[] keys, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // What the common case left, in two round trips whatever its size: (1) begin, lock, read the queue bounds (and
        // counts where needed) and earlier Idempotency-Keys; (2) the inserts, the new bounds, the NOTIFY and the commit,
        // pipelined. The transaction is driven with plain BEGIN/COMMIT statements so the commit travels with the inserts.
        var queued = new Dictionary<Guid, QueuedCount>(arrivals.Length);
        var firstByKey = new Dictionary<(Guid, string), Guid>();
        try
        {
            await using (var read = new NpgsqlBatch(connection))
            {
                read.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
                // Nodes enqueue concurrently; locking the scenarios' rows (in uuid order, as QueuedRunsBound.Raise does,
                // so no two transactions deadlock) makes the MaxQueuedRuns check and the Idempotency-Key check exact
                // across nodes. The count below is a statement of its own so that it sees every run put back in the
                // queue before the lock was granted. NO KEY UPDATE, the lock the bound's own UPDATE takes: a plain
                // FOR UPDATE also blocked the key-share lock that a run's outcome takes on the scenario for its storage
                // rows' foreign key, and a scheduled occurrence enqueued twice (by two nodes) waited on that very run's
                // outcome in its ON CONFLICT: a deadlock, and the outcome was its victim.
                var locks = new NpgsqlBatchCommand(
                    """SELECT count(*) FROM (SELECT 1 FROM "Scenarios" WHERE "Id" = ANY(@ids) ORDER BY "Id" FOR NO KEY UPDATE) AS locked""");
                var scenarioIds = arrivals.Select(a => a.ScenarioId).ToArray();
                locks.Parameters.AddWithValue("ids", scenarioIds);
                read.BatchCommands.Add(locks);
                var count = new NpgsqlBatchCommand(PostgresQueuedCounts);
                count.Parameters.AddWithValue("ids", scenarioIds);
                count.Parameters.AddWithValue("arriving", arrivals.Select(a => a.Arriving).ToArray());
                count.Parameters.AddWithValue("least", arrivals.Select(a => a.Least).ToArray());
                count.Parameters.AddWithValue("most", arrivals.Select(a => a.Most).ToArray());
                read.BatchCommands.Add(count);
                if (keys.Length > 0)
                {
                    var find = new NpgsqlBatchCommand(
                        """
                        SELECT DISTINCT ON (r."ScenarioId", r."IdempotencyKey") r."ScenarioId", r."IdempotencyKey", r."Id"
                        FROM "Runs" r JOIN unnest(@scenarios, @keys) AS k(s, key) ON r."ScenarioId" = k.s AND r."IdempotencyKey" = k.key
                        WHERE r."QueuedAt" >= @since
                        ORDER BY r."ScenarioId", r."IdempotencyKey", r."QueuedAt"
                        """);
                    find.Parameters.AddWithValue("scenarios", keys.Select(k => k.Item1).ToArray());
                    find.Parameters.AddWithValue("keys", keys.Select(k => k.Item2).ToArray());
                    find.Parameters.AddWithValue("since", (now - IdempotencyWindow).UtcTicks);
                    read.BatchCommands.Add(find);
                }

                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                // Results are told apart by their columns: Npgsql passes over statements without rows (BEGIN).
                do
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        switch (reader.FieldCount == 3 ? reader.GetName(1) : null)
                        {
                            case QueuedRunsBound.Column:
                                var limits = arrivals.First(a => a.ScenarioId == reader.GetGuid(0));
                                queued[limits.ScenarioId] = new QueuedCount(reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), limits.Most);
                                break;
                            case "IdempotencyKey":
                                firstByKey[(reader.GetGuid(0), reader.GetString(1))] = reader.GetGuid(2);
                                break;
                            default:
                                break; // the row locks
                        }
                    }
                }
                while (await reader.NextResultAsync(cancellationToken));
            }

            var counts = queued.ToDictionary(q => q.Key, q => q.Value.Known);
            var (results, ids, rows) = Decide(batch, counts, firstByKey, now);
            var inserted = new bool[rows.Count];
            await using (var write = new NpgsqlBatch(connection))
            {
                foreach (var i in rows)
                {
                    write.BatchCommands.Add(Insert(batch[i], ids[i], now).ToBatchCommand());
                }
                foreach (var bound in QueuedRunsBound.Updates(queued, counts))
                {
                    write.BatchCommands.Add(bound.ToBatchCommand());
                }
                // Its rows are not known to be inserted yet (a schedule occurrence another node queued is skipped), so
                // each scenario's newest run is named only where it was.
                foreach (var lastRun in LastRunUpdates(rows.Select(i => (batch[i].ScenarioId, ids[i])), SetLastRunIfInserted))
                {
                    write.BatchCommands.Add(lastRun.ToBatchCommand());
                }
                if (rows.Count > 0)
                {
                    // Delivered by PostgreSQL only when the transaction commits: other nodes wake and claim.
                    write.BatchCommands.Add(new NpgsqlBatchCommand($"NOTIFY {RunNotificationListener.Channel}"));
                }
                write.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
                await write.ExecuteNonQueryAsync(cancellationToken);
                for (var j = 0; j < rows.Count; j++)
                {
                    inserted[j] = write.BatchCommands[j].RecordsAffected == 1;
                }
            }
            return await ResolveAsync(connection, batch, results, ids, rows, inserted, cancellationToken);
        }
        catch
        {
            await HubSql.RollBackAsync(connection);
            throw;
        }
    }
}
