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
/// makes a durable accept cheap. No caller is answered before its commit. Each database writes a group its own way:
/// RunQueue.Sqlite.cs and RunQueue.Postgres.cs; what they share (the admission decision, binding) is here.
/// </remarks>
internal sealed partial class RunQueue : IAsyncDisposable
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
    private readonly SqliteWriteGate _writeGate;
    private readonly TimeProvider _time;
    private readonly GroupCommit<NewRun, EnqueueResult> _writer;
    // Callers waiting for runs (?wait=N) poll the database; hundreds of them at once took every pooled connection, and
    // the workers' claims and outcomes (and so the runs they waited for) failed for want of one. A few polls at a time
    // serve them: each is one read by primary key.
    private const int MaxConcurrentWaitPolls = 4;
    private readonly SemaphoreSlim _waitPolls = new(MaxConcurrentWaitPolls);
    // The enqueue writer's own connection, kept open with its statements prepared; reopened after a failure.
    private PreparedCommands? _writerCommands;

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

    /// <summary>
    /// The run's state once it has ended (Succeeded, Failed or Cancelled), or as it is when <paramref name="timeout"/>
    /// passes; null when there is no such run.
    /// </summary>
    public async Task<RunState?> WaitForCompletionAsync(Guid runId, TimeSpan timeout, CancellationToken cancellationToken)
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
                var run = await ReadStateAsync(runId, cancellationToken);
                var left = deadline - _time.GetUtcNow();
                if (run is null || run.Status is not (RunStatus.Queued or RunStatus.Running) || left <= TimeSpan.Zero)
                {
                    return run;
                }
                delay = left < delay ? left : delay;

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

    private async Task<RunState?> ReadStateAsync(Guid runId, CancellationToken cancellationToken)
    {
        await _waitPolls.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
            // Not the whole run: its payload can be as large as the body limit, and this polls.
            return await db.Runs.Where(r => r.Id == runId)
                .Select(r => new RunState(r.Status, r.Result, r.Error, r.ErrorLine, r.ErrorColumn))
                .FirstOrDefaultAsync(cancellationToken);
        }
        finally
        {
            _waitPolls.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        _waitPolls.Dispose();
        if (_writerCommands is not null)
        {
            await _writerCommands.DisposeAsync();
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
            if (_writerCommands is not null)
            {
                await _writerCommands.DisposeAsync();
                _writerCommands = null;
            }
            throw;
        }
    }

    private async Task<EnqueueResult[]> WriteAsync(IReadOnlyList<NewRun> batch, CancellationToken cancellationToken)
    {
        using var turn = await _writeGate.EnterAsync(SqliteWriteGate.Writers.Enqueue, cancellationToken);
        var now = _time.GetUtcNow();
        _writerCommands ??= new PreparedCommands(await HubSql.OpenAsync(_connection, cancellationToken));
        if (_writerCommands.Connection is not NpgsqlConnection npgsql)
        {
            return await WriteSqliteAsync(_writerCommands, batch, ArrivalLimits.Of(batch), IdempotencyKeys(batch), now, cancellationToken);
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

            // The counts hold a row for every scenario that still exists, read (and on PostgreSQL locked) in this
            // transaction: a run of a scenario deleted a moment ago would fail the foreign key, and its group with it.
            if (!queuedCounts.TryGetValue(run.ScenarioId, out var queued))
            {
                results[i] = new EnqueueResult.ScenarioGone(run.ScenarioId);
                continue;
            }
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

    /// <summary>
    /// Names each scenario's newest run among <paramref name="runIds"/> as its last run (<c>Scenario.LastRunId</c>),
    /// in the transaction that queues them. Newest as the history orders runs: a group's runs share one QueuedAt, so
    /// by id, in the order both databases sort uuids (their text).
    /// </summary>
    private static IEnumerable<HubSql.Statement> LastRunUpdates(IEnumerable<(Guid ScenarioId, Guid RunId)> runIds, string sql = SetLastRun) =>
        runIds
            .GroupBy(r => r.ScenarioId, r => r.RunId)
            .InLockOrder(g => g.Key)
            .Select(g => new HubSql.Statement(sql, [("run", Newest(g)), ("scenario", g.Key)]));

    private const string SetLastRun = """UPDATE "Scenarios" SET "LastRunId" = @run WHERE "Id" = @scenario""";

    private static Guid Newest(IEnumerable<Guid> runIds) => runIds.MaxBy(id => id.ToString(), StringComparer.Ordinal);

    /// <summary>The insert of a run: <see cref="InsertColumns"/> with its values.</summary>
    private static HubSql.Statement Insert(NewRun run, Guid id, DateTimeOffset now) =>
        new(InsertColumns,
        [
            ("id", id), ("workspace", run.WorkspaceId), ("scenario", run.ScenarioId), ("trigger", run.Trigger), ("payload", run.Payload),
            ("triggeredBy", run.TriggeredBy), ("retryOf", run.RetryOf), ("scheduledFor", run.ScheduledFor), ("key", run.IdempotencyKey),
            ("now", now), ("maxAttempts", Math.Max(1, run.MaxAttempts)),
        ]);
}

/// <summary>A run as a caller waiting for it sees it: its status and, once it ended, its result or error.</summary>
internal sealed record RunState(RunStatus Status, string? Result, string? Error, int? ErrorLine, int? ErrorColumn);
