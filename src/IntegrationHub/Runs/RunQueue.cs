using System.Data.Common;
using System.Threading.Channels;
using IntegrationHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IntegrationHub.Runs;

/// <summary>
/// The durable run queue: the runs table. <see cref="EnqueueAsync"/> returns once the run is committed.
/// </summary>
/// <remarks>
/// Group commit: concurrent callers put their runs in a channel; one writer loop takes whatever arrived meanwhile,
/// inserts it in one transaction and completes every caller after the commit. One commit (one fsync) then carries
/// hundreds of triggers, which is what makes a durable accept cheap. No caller is answered before its commit.
/// </remarks>
public sealed partial class RunQueue : IAsyncDisposable
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

    private readonly HubConnectionString _connection;
    private readonly IDbContextFactory<HubDbContext> _dbFactory;
    private readonly RunSignals _signals;
    private readonly TimeProvider _time;
    private readonly ILogger<RunQueue> _logger;
    private readonly int _maxBatch;
    private readonly Channel<PendingRun> _pending = Channel.CreateUnbounded<PendingRun>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private DbConnection? _writerConnection;

    public RunQueue(
        HubConnectionString connection,
        IDbContextFactory<HubDbContext> dbFactory,
        RunSignals signals,
        IOptions<RunsOptions> options,
        TimeProvider time,
        ILogger<RunQueue> logger)
    {
        _connection = connection;
        _dbFactory = dbFactory;
        _signals = signals;
        _time = time;
        _logger = logger;
        _maxBatch = options.Value.MaxEnqueueBatch;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Puts a run on the queue; returns after the commit (or the refusal).</summary>
    public async Task<EnqueueResult> EnqueueAsync(NewRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var pending = new PendingRun(run, new TaskCompletionSource<EnqueueResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The run queue is shutting down.");
        }
        // A cancelled caller stops waiting; its run may still commit, exactly as if the connection dropped after the commit.
        return await pending.Result.Task.WaitAsync(cancellationToken);
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
        _pending.Writer.TryComplete();
        await _writer;
        if (_writerConnection is not null)
        {
            await _writerConnection.DisposeAsync();
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingRun>(_maxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && _pending.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                await CommitAsync(batch);
            }
            catch (Exception ex) when (batch.Count > 1)
            {
                // One bad run (say, its scenario was deleted a moment ago) must not fail the others: commit them one by one.
                LogBatchFailed(_logger, batch.Count, ex);
                foreach (var pending in batch)
                {
                    try
                    {
                        await CommitAsync([pending]);
                    }
                    catch (Exception single)
                    {
                        pending.Result.TrySetException(single);
                    }
                }
            }
            catch (Exception ex)
            {
                batch[0].Result.TrySetException(ex);
            }
        }
    }

    private async Task CommitAsync(List<PendingRun> batch)
    {
        try
        {
            var results = await WriteAsync(batch, CancellationToken.None);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(results[i]);
            }
            _signals.WorkAvailable();
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

    private async Task<EnqueueResult[]> WriteAsync(List<PendingRun> batch, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        _writerConnection ??= await RunSql.OpenAsync(_connection, cancellationToken);
        var connection = _writerConnection;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var queuedCounts = await CountQueuedAsync(connection, transaction, batch, cancellationToken);
        var results = new EnqueueResult?[batch.Count];
        var ids = new Guid[batch.Count];
        var keysInBatch = new Dictionary<(Guid, string), Guid>();
        var toInsert = new List<int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var run = batch[i].Run;
            if (run.IdempotencyKey is { } key)
            {
                var first = keysInBatch.TryGetValue((run.ScenarioId, key), out var inBatch)
                    ? inBatch
                    : await FindByIdempotencyKeyAsync(connection, transaction, run.ScenarioId, key, now - IdempotencyWindow, cancellationToken);
                if (first is { } firstId)
                {
                    results[i] = new EnqueueResult.Duplicate(firstId);
                    continue;
                }
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
                keysInBatch[(run.ScenarioId, newKey)] = ids[i];
            }
            toInsert.Add(i);
        }

        var inserted = await InsertAsync(connection, transaction, batch, ids, toInsert, now, cancellationToken);
        for (var j = 0; j < toInsert.Count; j++)
        {
            var i = toInsert[j];
            if (inserted[j])
            {
                results[i] = new EnqueueResult.Queued(ids[i]);
            }
            else
            {
                // Only the unique (ScenarioId, ScheduledFor) index refuses a row: another node enqueued this occurrence.
                var run = batch[i].Run;
                var existing = await FindScheduledAsync(connection, transaction, run.ScenarioId, run.ScheduledFor, cancellationToken);
                results[i] = new EnqueueResult.Duplicate(existing ?? ids[i]);
            }
        }

        if (_connection.Provider == DatabaseProvider.Postgres && toInsert.Count > 0)
        {
            // Delivered by PostgreSQL only when the transaction commits: other nodes wake and claim.
            await using var notify = RunSql.Command(connection, transaction, $"NOTIFY {RunSql.Channel}");
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return results!;
    }

    private async Task<Dictionary<Guid, int>> CountQueuedAsync(
        DbConnection connection, DbTransaction transaction, List<PendingRun> batch, CancellationToken cancellationToken)
    {
        var scenarioIds = batch.Select(p => p.Run.ScenarioId).Distinct().ToArray();
        var counts = new Dictionary<Guid, int>(scenarioIds.Length);
        if (_connection.Provider == DatabaseProvider.Postgres)
        {
            // Nodes enqueue concurrently; a transaction-scoped advisory lock per scenario (taken in a fixed order, so
            // two batches cannot deadlock) makes the MaxQueuedRuns count and the Idempotency-Key check exact across nodes.
            await using var command = RunSql.Command(connection, transaction,
                """
                SELECT count(pg_advisory_xact_lock(k)) FROM (
                    SELECT DISTINCT hashtextextended('hub-enqueue:' || s::text, 0) AS k FROM unnest(@ids) AS s ORDER BY k) AS locks;
                SELECT "ScenarioId", count(*)::int FROM "Runs" WHERE "Status" = 'Queued' AND "ScenarioId" = ANY(@ids) GROUP BY "ScenarioId";
                """);
            command.Add("ids", scenarioIds);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                counts[reader.GetGuid(0)] = reader.GetInt32(1);
            }
        }
        else
        {
            // SQLite has one writer at a time (this transaction holds the write lock), so the count is exact as read.
            await using var command = RunSql.Command(connection, transaction,
                "SELECT count(*) FROM \"Runs\" WHERE \"Status\" = 'Queued' AND \"ScenarioId\" = @id");
            var id = command.Add("id", null);
            foreach (var scenarioId in scenarioIds)
            {
                id.Set(sqlite: true, scenarioId);
                counts[scenarioId] = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return counts;
    }

    private static async Task<Guid?> FindByIdempotencyKeyAsync(
        DbConnection connection, DbTransaction transaction, Guid scenarioId, string key, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = RunSql.Command(connection, transaction,
            """
            SELECT "Id" FROM "Runs" WHERE "ScenarioId" = @scenario AND "IdempotencyKey" = @key AND "QueuedAt" >= @since
            ORDER BY "QueuedAt" LIMIT 1
            """);
        command.Add("scenario", scenarioId);
        command.Add("key", key);
        command.Add("since", since);
        return await ReadFirstIdAsync(command, cancellationToken);
    }

    private static async Task<Guid?> FindScheduledAsync(
        DbConnection connection, DbTransaction transaction, Guid scenarioId, DateTimeOffset? scheduledFor, CancellationToken cancellationToken)
    {
        await using var command = RunSql.Command(connection, transaction,
            "SELECT \"Id\" FROM \"Runs\" WHERE \"ScenarioId\" = @scenario AND \"ScheduledFor\" = @at");
        command.Add("scenario", scenarioId);
        command.Add("at", scheduledFor);
        return await ReadFirstIdAsync(command, cancellationToken);
    }

    private static async Task<Guid?> ReadFirstIdAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? RunSql.ReadGuid(reader, 0) : null;
    }

    /// <summary>Inserts the accepted runs; false for a row the database skipped as a duplicate scheduled occurrence.</summary>
    private static async Task<bool[]> InsertAsync(
        DbConnection connection, DbTransaction transaction, List<PendingRun> batch, Guid[] ids, List<int> rows,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var inserted = new bool[rows.Count];
        if (rows.Count == 0)
        {
            return inserted;
        }

        if (connection is NpgsqlConnection npgsql)
        {
            // One round trip for the whole batch: the statements travel pipelined.
            await using var npgsqlBatch = new NpgsqlBatch(npgsql, (NpgsqlTransaction)transaction);
            foreach (var i in rows)
            {
                var command = new NpgsqlBatchCommand(InsertColumns);
                Bind(command.Parameters, batch[i].Run, ids[i], now, sqlite: false);
                npgsqlBatch.BatchCommands.Add(command);
            }
            await npgsqlBatch.ExecuteNonQueryAsync(cancellationToken);
            for (var j = 0; j < rows.Count; j++)
            {
                inserted[j] = npgsqlBatch.BatchCommands[j].RecordsAffected == 1;
            }
            return inserted;
        }

        // SQLite runs in process: one prepared statement executed per row costs no round trips.
        await using var insert = RunSql.Command(connection, transaction, InsertColumns);
        for (var j = 0; j < rows.Count; j++)
        {
            var i = rows[j];
            insert.Parameters.Clear();
            Bind(insert.Parameters, batch[i].Run, ids[i], now, sqlite: true);
            inserted[j] = await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
        }
        return inserted;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Committing {Count} runs in one transaction failed; committing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    private sealed record PendingRun(NewRun Run, TaskCompletionSource<EnqueueResult> Result);
}
