using System.Data.Common;
using IntegrationHub.Data;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IntegrationHub.Runs;

/// <summary>
/// The workers' side of the queue in hand-written SQL: claim (RunStore.Claim.cs), record outcomes
/// (RunStore.Outcomes.cs), renew leases, publish live logs, sweep expired leases, release on shutdown. Every change
/// to a Running run is conditional on the lease, so a node that lost a run (its lease expired and another node took
/// it) can no longer overwrite it.
/// </summary>
internal sealed partial class RunStore(HubConnectionString connection, SqliteWriteGate writeGate, IOptions<RunsOptions> options) : IAsyncDisposable
{

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

    /// <summary>
    /// Extends the leases of the runs <paramref name="owner"/> is executing (<paramref name="runIds"/>); returns those it
    /// still holds, and those of them a user asked to stop. Only those: a run whose outcome this node failed to record
    /// is no longer executing, and its lease must run out so that the sweeper puts it back.
    /// </summary>
    public async Task<LeaseRenewal> RenewAsync(string owner, IReadOnlyCollection<Guid> runIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await writeGate.EnterAsync(SqliteWriteGate.Writers.LeaseRenewal, cancellationToken);
        await using var db = await HubSql.OpenAsync(connection, cancellationToken);
        // SQLite has no arrays: a parameter per run.
        var sqlite = db is not NpgsqlConnection;
        var ids = sqlite ? $"IN ({string.Join(", ", runIds.Select((_, i) => $"@id{i}"))})" : "= ANY(@ids)";
        // PostgreSQL: the rows are locked in id order, the order in which outcomes write them (CompleteAsync), so a
        // renewal and a batch of outcomes cannot deadlock. SQLite has one writer at a time.
        await using var command = HubSql.Command(db, null, sqlite
            ? $"""
              UPDATE "Runs" SET "LeaseExpiresAt" = @lease
              WHERE "Id" {ids} AND "Status" = 'Running' AND "LeaseOwner" = @owner
              RETURNING "Id", "CancelRequestedAt"
              """
            : $"""
              UPDATE "Runs" SET "LeaseExpiresAt" = @lease
              WHERE "Id" IN (SELECT "Id" FROM "Runs" WHERE "Id" {ids} AND "Status" = 'Running' AND "LeaseOwner" = @owner ORDER BY "Id" FOR UPDATE)
                AND "Status" = 'Running' AND "LeaseOwner" = @owner
              RETURNING "Id", "CancelRequestedAt"
              """);
        if (sqlite)
        {
            foreach (var (id, i) in runIds.Select((id, i) => (id, i)))
            {
                command.Add($"id{i}", id);
            }
        }
        else
        {
            command.Add("ids", runIds.ToArray());
        }
        command.Add("owner", owner);
        command.Add("lease", now + _options.LeaseDuration);
        var renewal = new LeaseRenewal([], []);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = HubSql.ReadGuid(reader, 0);
            renewal.Held.Add(id);
            if (!await reader.IsDBNullAsync(1, cancellationToken))
            {
                renewal.CancelRequested.Add(id);
            }
        }
        return renewal;
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
                [("log", StoredRunLog.ToJson(log.Lines)), ("id", log.RunId), ("owner", owner), ("attempt", log.Attempt)]))],
                cancellationToken);
            return updated.Sum();
        }, cancellationToken);

    /// <summary>
    /// Returns Running runs whose lease expired (their node died or hung) to the queue, or fails them when that was
    /// their last attempt, or cancels them when a user had asked them to stop. The claim already counted the attempt.
    /// Each keeps, as its error, which node stopped renewing its lease: the next attempt's log starts with it
    /// (<see cref="ClaimedRun.PreviousError"/>), so a run that succeeded on another node still tells of the attempt it
    /// lost. Returns how many runs were swept, and the nodes they were taken from.
    /// </summary>
    public async Task<SweptLeases> SweepExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await writeGate.EnterAsync(SqliteWriteGate.Writers.LeaseSweep, cancellationToken);
        await using var db = await HubSql.OpenAsync(connection, cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        // The nodes, for the node's log; the update cannot return them, as it clears them (and SQLite's RETURNING sees
        // only the row as written). On PostgreSQL a renewal may come between the two: the log then names a node too many.
        var nodes = new SortedSet<string>(StringComparer.Ordinal);
        await using (var owners = HubSql.Command(db, transaction,
            """SELECT DISTINCT "LeaseOwner" FROM "Runs" WHERE "Status" = 'Running' AND "LeaseExpiresAt" < @now AND "LeaseOwner" IS NOT NULL"""))
        {
            owners.Add("now", now);
            await using var reader = await owners.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                nodes.Add(reader.GetString(0));
            }
        }
        var requeued = new List<Guid>();
        var swept = 0;
        await using (var command = HubSql.Command(db, transaction,
            """
            UPDATE "Runs" SET
                "Status" = CASE WHEN "CancelRequestedAt" IS NOT NULL THEN 'Cancelled' WHEN "Attempts" >= "MaxAttempts" THEN 'Failed' ELSE 'Queued' END,
                "FinishedAt" = CASE WHEN "CancelRequestedAt" IS NOT NULL OR "Attempts" >= "MaxAttempts" THEN @now ELSE NULL END,
                "Error" = 'The node running it (' || COALESCE("LeaseOwner", '?') || ') stopped renewing its lease: it died, hung or lost its database'
                    || CASE WHEN "CancelRequestedAt" IS NOT NULL THEN '; the run was cancelled, as asked.'
                            WHEN "Attempts" >= "MaxAttempts" THEN '; it was the last attempt.'
                            ELSE '; the run returned to the queue.' END,
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
        return new SweptLeases(swept, [.. nodes]);
    }

    /// <summary>
    /// Puts a run this node started but will not finish (shutting down) back on the queue, available at once, or ends it
    /// Cancelled when a user had asked it to stop. The attempt is not counted: the run did not fail, the node left.
    /// Only <paramref name="run"/>'s attempt is released, never a later one the same node claimed after losing its lease.
    /// </summary>
    public async Task<bool> ReleaseAsync(Run run, string owner, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var turn = await writeGate.EnterAsync(SqliteWriteGate.Writers.Release, cancellationToken);
        await using var db = await HubSql.OpenAsync(connection, cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        await using var command = HubSql.Command(db, transaction,
            """
            UPDATE "Runs" SET "Status" = 'Queued', "Attempts" = "Attempts" - 1, "AvailableAt" = @now, "StartedAt" = NULL,
                "LeaseOwner" = NULL, "LeaseExpiresAt" = NULL
            WHERE "Id" = @id AND "Status" = 'Running' AND "LeaseOwner" = @owner AND "Attempts" = @attempt AND "CancelRequestedAt" IS NULL
            RETURNING "ScenarioId"
            """);
        command.Add("id", run.Id);
        command.Add("owner", owner);
        command.Add("attempt", run.Attempts);
        command.Add("now", now);
        var released = await ReadIdsAsync(command, cancellationToken);
        await HubSql.ExecuteAsync(db, transaction,
        [
            .. QueuedRunsBound.Raise(released),
            new HubSql.Statement(
                """
                UPDATE "Runs" SET "Status" = 'Cancelled', "FinishedAt" = @now, "LeaseExpiresAt" = NULL, "Error" = 'Cancelled on request while running.'
                WHERE "Id" = @id AND "Status" = 'Running' AND "LeaseOwner" = @owner AND "Attempts" = @attempt AND "CancelRequestedAt" IS NOT NULL
                """,
                [("id", run.Id), ("owner", owner), ("attempt", run.Attempts), ("now", now)]),
        ], cancellationToken);
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

/// <summary>What a lease renewal found: the runs the node still holds, and those of them users asked to stop.</summary>
internal sealed record LeaseRenewal(HashSet<Guid> Held, HashSet<Guid> CancelRequested);

/// <summary>What a sweep of expired leases did: how many runs it swept, and the nodes whose leases they were.</summary>
internal sealed record SweptLeases(int Count, IReadOnlyList<string> Nodes);

/// <summary>The log so far of one attempt (<paramref name="Attempt"/>) of a run still running.</summary>
internal sealed record LiveRunLog(Guid RunId, int Attempt, RunLogLine[] Lines);
