using System.Data.Common;
using IntegrationHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IntegrationHub.Runs;

/// <summary>
/// The durable run queue: the runs table. <see cref="EnqueueAsync"/> returns once the run is committed.
/// </summary>
/// <remarks>
/// Enqueued by <see cref="GroupCommit{TItem, TResult}"/>: concurrent triggers are inserted in one transaction and
/// each caller is answered after the commit. One commit (one fsync) then carries hundreds of triggers, which is what
/// makes a durable accept cheap. No caller is answered before its commit.
/// </remarks>
public sealed class RunQueue : IAsyncDisposable
{
    /// <summary>How long an Idempotency-Key is remembered.</summary>
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);

    private const string InsertColumns =
        """
        INSERT INTO "Runs" ("Id", "WorkspaceId", "ScenarioId", "Status", "Trigger", "Payload", "TriggeredBy", "RetryOf",
            "ScheduledFor", "IdempotencyKey", "QueuedAt", "AvailableAt", "Attempts", "MaxAttempts", "RecordsIn", "RecordsOut")
        VALUES (@id, @workspace, @scenario, 'Queued', @trigger, @payload, @triggeredBy, @retryOf,
            @scheduledFor, @key, @now, @now, 0, @maxAttempts, 0, 0)
        ON CONFLICT DO NOTHING
        """;

    // A scenario's queue bound, and its queued runs counted only where the bound cannot vouch for the arriving runs.
    // Counted up to the largest MaxQueuedRuns among them, all the decision needs: the cost stays bounded by the limit.
    private const string SqliteQueuedCount =
        """
        SELECT s."QueuedRunsBound", CASE WHEN s."QueuedRunsBound" + @arriving > @least THEN (SELECT count(*) FROM (
            SELECT 1 FROM "Runs" r WHERE r."ScenarioId" = s."Id" AND r."Status" = 'Queued' LIMIT @most)) END
        FROM "Scenarios" s WHERE s."Id" = @id
        """;

    // Raises the scenario's bound by the runs it inserts, and inserts them, only where the bound vouches for them; the
    // UPDATE takes the scenario's row lock, and under READ COMMITTED re-reads the bound once the lock is granted.
    private const string PostgresInsertWithinBound =
        """
        WITH admitted AS (
            UPDATE "Scenarios" SET "QueuedRunsBound" = "QueuedRunsBound" + @count
            WHERE "Id" = @scenario AND "QueuedRunsBound" + @count <= @least
            RETURNING "Id")
        INSERT INTO "Runs" ("Id", "WorkspaceId", "ScenarioId", "Status", "Trigger", "Payload", "TriggeredBy", "RetryOf",
            "ScheduledFor", "IdempotencyKey", "QueuedAt", "AvailableAt", "Attempts", "MaxAttempts", "RecordsIn", "RecordsOut")
        SELECT r.id, r.workspace, a."Id", 'Queued', r.trigger, r.payload, r.triggered_by, r.retry_of, NULL, NULL, @now, @now, 0, r.max_attempts, 0, 0
        FROM admitted a, unnest(@ids, @workspaces, @triggers, @payloads, @triggeredBy, @retryOf, @maxAttempts)
            AS r(id, workspace, trigger, payload, triggered_by, retry_of, max_attempts)
        """;

    private const string PostgresQueuedCounts =
        """
        SELECT s."Id", s."QueuedRunsBound", CASE WHEN s."QueuedRunsBound" + a.arriving > a.least THEN (SELECT count(*) FROM (
            SELECT 1 FROM "Runs" r WHERE r."ScenarioId" = s."Id" AND r."Status" = 'Queued' LIMIT a.most) AS q)::int END
        FROM unnest(@ids, @arriving, @least, @most) AS a(id, arriving, least, most) JOIN "Scenarios" s ON s."Id" = a.id
        """;

    private readonly HubConnectionString _connection;
    private readonly IDbContextFactory<HubDbContext> _dbFactory;
    private readonly RunSignals _signals;
    private readonly SqliteWriteGate _writeGate;
    private readonly TimeProvider _time;
    private readonly GroupCommit<NewRun, EnqueueResult> _writer;
    private DbConnection? _writerConnection;

    public RunQueue(
        HubConnectionString connection,
        IDbContextFactory<HubDbContext> dbFactory,
        RunSignals signals,
        SqliteWriteGate writeGate,
        IOptions<RunsOptions> options,
        TimeProvider time,
        ILogger<RunQueue> logger)
    {
        _connection = connection;
        _dbFactory = dbFactory;
        _signals = signals;
        _writeGate = writeGate;
        _time = time;
        _writer = new GroupCommit<NewRun, EnqueueResult>(CommitAsync, options.Value.MaxEnqueueBatch, "runs", logger);
    }

    /// <summary>Puts a run on the queue; returns after the commit (or the refusal).</summary>
    public async Task<EnqueueResult> EnqueueAsync(NewRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        // A cancelled caller stops waiting; its run may still commit, exactly as if the connection dropped after the commit.
        return await _writer.CommitAsync(run, cancellationToken);
    }

    /// <summary>The run once it has ended (Succeeded, Failed or Cancelled), or as it is when <paramref name="timeout"/> passes.</summary>
    public async Task<Run?> WaitForCompletionAsync(Guid runId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Runs executed by this node end with an in-process signal; runs on other nodes are seen by polling,
        // backing off from 20 ms to 500 ms so a long wait costs a query every half second.
        var ended = _signals.RunEnded(runId);
        var deadline = _time.GetUtcNow() + timeout;
        var delay = TimeSpan.FromMilliseconds(20);
        try
        {
            while (true)
            {
                await using (var db = await _dbFactory.CreateDbContextAsync(cancellationToken))
                {
                    var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
                    var left = deadline - _time.GetUtcNow();
                    if (run is null || run.Status is not (RunStatus.Queued or RunStatus.Running) || left <= TimeSpan.Zero)
                    {
                        return run;
                    }
                    delay = left < delay ? left : delay;
                }

                try
                {
                    await ended.WaitAsync(delay, _time, cancellationToken);
                }
                catch (TimeoutException)
                {
                    // Poll again.
                }
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
            }
        }
        finally
        {
            _signals.ForgetWaiter(runId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        if (_writerConnection is not null)
        {
            await _writerConnection.DisposeAsync();
        }
    }

    private async Task<EnqueueResult[]> CommitAsync(IReadOnlyList<NewRun> batch)
    {
        try
        {
            var results = await WriteAsync(batch, CancellationToken.None);
            _signals.WorkAvailable();
            return results;
        }
        catch
        {
            // The connection may be broken; the next batch opens a fresh one.
            if (_writerConnection is not null)
            {
                await _writerConnection.DisposeAsync();
                _writerConnection = null;
            }
            throw;
        }
    }

    private async Task<EnqueueResult[]> WriteAsync(IReadOnlyList<NewRun> batch, CancellationToken cancellationToken)
    {
        using var turn = await _writeGate.EnterAsync(cancellationToken);
        var now = _time.GetUtcNow();
        _writerConnection ??= await HubSql.OpenAsync(_connection, cancellationToken);
        if (_writerConnection is not NpgsqlConnection npgsql)
        {
            return await WriteSqliteAsync(_writerConnection, batch, ArrivalLimits.Of(batch), IdempotencyKeys(batch), now, cancellationToken);
        }

        var results = await AdmitWithinBoundsAsync(npgsql, batch, now, cancellationToken);
        var rest = Enumerable.Range(0, batch.Count).Where(i => results[i] is null).ToList();
        if (rest.Count > 0)
        {
            List<NewRun> others = [.. rest.Select(i => batch[i])];
            var decided = await WritePostgresAsync(npgsql, others, ArrivalLimits.Of(others), IdempotencyKeys(others), now, cancellationToken);
            for (var j = 0; j < rest.Count; j++)
            {
                results[rest[j]] = decided[j];
            }
        }
        return results!;
    }

    private static (Guid, string)[] IdempotencyKeys(IReadOnlyList<NewRun> batch) =>
        [.. batch.Where(p => p.IdempotencyKey is not null).Select(p => (p.ScenarioId, p.IdempotencyKey!)).Distinct()];

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
            .OrderBy(g => g.Key.ToString(), StringComparer.Ordinal) // the order in which the full path locks the rows
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
            await RollBackAsync(connection);
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

    private static async Task<EnqueueResult[]> WriteSqliteAsync(
        DbConnection connection, IReadOnlyList<NewRun> batch, ArrivalLimits[] arrivals, (Guid, string)[] keys, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // BEGIN IMMEDIATE: this transaction holds SQLite's single write lock from the start, so the queue counts and
        // Idempotency-Key lookups below stay true until the commit. Everything runs in process: no round trips to save.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var queued = new Dictionary<Guid, QueuedCount>(arrivals.Length);
        await using (var read = HubSql.Command(connection, transaction, SqliteQueuedCount))
        {
            var id = read.Add("id", null);
            var arriving = read.Add("arriving", null);
            var least = read.Add("least", null);
            var most = read.Add("most", null);
            foreach (var limits in arrivals)
            {
                id.Set(sqlite: true, limits.ScenarioId);
                arriving.Value = limits.Arriving;
                least.Value = limits.Least;
                most.Value = limits.Most;
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                if (await reader.ReadAsync(cancellationToken))
                {
                    queued[limits.ScenarioId] = new QueuedCount(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), limits.Most);
                }
            }
        }
        var firstByKey = new Dictionary<(Guid, string), Guid>();
        if (keys.Length > 0)
        {
            await using var find = HubSql.Command(connection, transaction,
                """
                SELECT "Id" FROM "Runs" WHERE "ScenarioId" = @scenario AND "IdempotencyKey" = @key AND "QueuedAt" >= @since
                ORDER BY "QueuedAt" LIMIT 1
                """);
            var scenario = find.Add("scenario", null);
            var key = find.Add("key", null);
            find.Add("since", now - IdempotencyWindow);
            foreach (var (scenarioId, value) in keys)
            {
                scenario.Set(sqlite: true, scenarioId);
                key.Set(sqlite: true, value);
                if (await find.ExecuteScalarAsync(cancellationToken) is string first)
                {
                    firstByKey[(scenarioId, value)] = Guid.Parse(first);
                }
            }
        }

        var counts = queued.ToDictionary(q => q.Key, q => q.Value.Known);
        var (results, ids, rows) = Decide(batch, counts, firstByKey, now);
        var inserted = new bool[rows.Count];
        await using (var insert = HubSql.Command(connection, transaction, InsertColumns))
        {
            // One prepared statement executed per row.
            for (var j = 0; j < rows.Count; j++)
            {
                var i = rows[j];
                insert.Parameters.Clear();
                Bind(insert.Parameters, batch[i], ids[i], now, sqlite: true);
                inserted[j] = await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
            }
        }
        await HubSql.ExecuteAsync(connection, transaction, QueuedRunsBound.Updates(queued, counts), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await ResolveAsync(connection, batch, results, ids, rows, inserted, cancellationToken);
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
                // queue before the lock was granted.
                var locks = new NpgsqlBatchCommand(
                    """SELECT count(*) FROM (SELECT 1 FROM "Scenarios" WHERE "Id" = ANY(@ids) ORDER BY "Id" FOR UPDATE) AS locked""");
                locks.Parameters.AddWithValue("ids", arrivals.Select(a => a.ScenarioId).ToArray());
                read.BatchCommands.Add(locks);
                var count = new NpgsqlBatchCommand(PostgresQueuedCounts);
                count.Parameters.AddWithValue("ids", arrivals.Select(a => a.ScenarioId).ToArray());
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
                    var command = new NpgsqlBatchCommand(InsertColumns);
                    Bind(command.Parameters, batch[i], ids[i], now, sqlite: false);
                    write.BatchCommands.Add(command);
                }
                foreach (var bound in QueuedRunsBound.Updates(queued, counts))
                {
                    write.BatchCommands.Add(bound.ToBatchCommand());
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
            await RollBackAsync(connection);
            throw;
        }
    }

    /// <summary>Ends a transaction driven by plain BEGIN/COMMIT statements after a failure.</summary>
    private static async Task RollBackAsync(NpgsqlConnection connection)
    {
        // The caller drops this connection; the pool would roll back too, but say it plainly.
        if (connection.FullState != System.Data.ConnectionState.Open)
        {
            return;
        }
        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // The connection is broken as well; the original error is the one to report.
        }
    }

    /// <summary>
    /// Which runs of the batch are inserted, in order: a repeated Idempotency-Key (seen before or earlier in this
    /// batch) answers with the first run; a scenario whose queued runs, with those of this batch, reach its
    /// MaxQueuedRuns is full.
    /// </summary>
    private static (EnqueueResult?[] Results, Guid[] Ids, List<int> Rows) Decide(
        IReadOnlyList<NewRun> batch, Dictionary<Guid, int> queuedCounts, Dictionary<(Guid, string), Guid> firstByKey, DateTimeOffset now)
    {
        var results = new EnqueueResult?[batch.Count];
        var ids = new Guid[batch.Count];
        var rows = new List<int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var run = batch[i];
            if (run.IdempotencyKey is { } key && firstByKey.TryGetValue((run.ScenarioId, key), out var first))
            {
                results[i] = new EnqueueResult.Duplicate(first);
                continue;
            }

            var queued = queuedCounts.GetValueOrDefault(run.ScenarioId);
            if (queued >= run.MaxQueuedRuns)
            {
                results[i] = new EnqueueResult.QueueFull();
                continue;
            }
            queuedCounts[run.ScenarioId] = queued + 1;
            ids[i] = Guid.CreateVersion7(now);
            if (run.IdempotencyKey is { } newKey)
            {
                firstByKey[(run.ScenarioId, newKey)] = ids[i];
            }
            rows.Add(i);
        }
        return (results, ids, rows);
    }

    /// <summary>Completes the results after the commit; a row the database skipped is an occurrence another node enqueued.</summary>
    private static async Task<EnqueueResult[]> ResolveAsync(
        DbConnection connection, IReadOnlyList<NewRun> batch, EnqueueResult?[] results, Guid[] ids, List<int> rows, bool[] inserted,
        CancellationToken cancellationToken)
    {
        for (var j = 0; j < rows.Count; j++)
        {
            var i = rows[j];
            if (inserted[j])
            {
                results[i] = new EnqueueResult.Queued(ids[i]);
                continue;
            }
            // Only the unique (ScenarioId, ScheduledFor) index refuses a row, and the row it kept is committed.
            var run = batch[i];
            await using var command = HubSql.Command(connection, null,
                "SELECT \"Id\" FROM \"Runs\" WHERE \"ScenarioId\" = @scenario AND \"ScheduledFor\" = @at");
            command.Add("scenario", run.ScenarioId);
            command.Add("at", run.ScheduledFor);
            results[i] = new EnqueueResult.Duplicate(await command.ExecuteScalarAsync(cancellationToken) switch
            {
                Guid g => g,
                string text => Guid.Parse(text),
                _ => ids[i],
            });
        }
        return results!;
    }

    private static void Bind(DbParameterCollection parameters, NewRun run, Guid id, DateTimeOffset now, bool sqlite)
    {
        void Add(string name, object? value)
        {
            DbParameter parameter = sqlite ? new Microsoft.Data.Sqlite.SqliteParameter() : new NpgsqlParameter();
            parameter.ParameterName = name;
            parameter.Set(sqlite, value);
            parameters.Add(parameter);
        }

        Add("id", id);
        Add("workspace", run.WorkspaceId);
        Add("scenario", run.ScenarioId);
        Add("trigger", run.Trigger);
        Add("payload", run.Payload);
        Add("triggeredBy", run.TriggeredBy);
        Add("retryOf", run.RetryOf);
        Add("scheduledFor", run.ScheduledFor);
        Add("key", run.IdempotencyKey);
        Add("now", now);
        Add("maxAttempts", Math.Max(1, run.MaxAttempts));
    }

}
