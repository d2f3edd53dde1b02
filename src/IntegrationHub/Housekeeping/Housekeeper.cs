using System.Diagnostics.Metrics;
using IntegrationHub.Data;
using IntegrationHub.Telemetry;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Housekeeping;

/// <summary>
/// Deletes what the hub no longer keeps: runs that ended longer ago than <see cref="HousekeepingOptions.RunRetention"/>,
/// storage entries whose time to live ran out (reads already pass over those; this frees their space) and browser
/// sessions whose cookie expired. Every node
/// may sweep at the same time: a row is deleted once, whoever comes first.
/// </summary>
internal sealed class Housekeeper(
    HubConnectionString connection, SqliteWriteGate writeGate, IOptions<HousekeepingOptions> options, IMeterFactory meters)
{
    // Through the (WorkspaceId, QueuedAt) index, oldest first: a sweep reads the runs it deletes and the few old runs
    // still queued or running, not the history it keeps.
    private static string DeleteEndedRuns(string lockClause) =>
        $"""
        DELETE FROM "Runs" WHERE "Id" IN (
            SELECT "Id" FROM "Runs"
            WHERE "WorkspaceId" = @workspace AND "QueuedAt" < @before AND "Status" IN ('Succeeded', 'Failed', 'Cancelled')
            ORDER BY "QueuedAt" LIMIT @batch {lockClause})
        """;

    /// <summary>Rows of <paramref name="table"/> (keyed by <paramref name="key"/>) whose "ExpiresAt" has passed, soonest first.</summary>
    private static string DeleteExpired(string table, string key, string lockClause) =>
        $"""
        DELETE FROM "{table}" WHERE "{key}" IN (
            SELECT "{key}" FROM "{table}" WHERE "ExpiresAt" <= @now ORDER BY "ExpiresAt" LIMIT @batch {lockClause})
        """;

    // PostgreSQL: a sweep passes over rows another transaction holds instead of waiting for them, so it never takes
    // part in a deadlock: not with another node's sweep, nor with a run's outcome writing a storage key that expired.
    // What it passes over, the next sweep deletes. SQLite has one writer at a time.
    private readonly string _deleteEndedRuns = DeleteEndedRuns(SkipLocked(connection));
    private readonly string _deleteExpiredEntries = DeleteExpired("StorageEntries", "Id", SkipLocked(connection));
    private readonly string _deleteExpiredSessions = DeleteExpired("CookieSessions", "KeyHash", SkipLocked(connection));
    private readonly HousekeepingOptions _options = options.Value;
    private readonly Counter<long> _deleted = meters.Create(HubTelemetry.MeterName).CreateCounter<long>(
        "integrationhub.housekeeping.deleted", "{row}", "Rows housekeeping deleted: runs past their retention, expired storage entries and browser sessions.");

    /// <summary>Deletes, as of <paramref name="now"/>, the runs past their retention, the expired storage entries and sessions.</summary>
    public async Task<SweepResult> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var runs = 0;
        foreach (var workspace in await ReadWorkspacesAsync(cancellationToken))
        {
            runs += await DeleteInBatchesAsync(_deleteEndedRuns, [("workspace", workspace), ("before", now - _options.RunRetention)], cancellationToken);
        }
        _deleted.Add(runs, new KeyValuePair<string, object?>("kind", "runs"));
        var entries = await DeleteInBatchesAsync(_deleteExpiredEntries, [("now", now)], cancellationToken);
        _deleted.Add(entries, new KeyValuePair<string, object?>("kind", "storage_entries"));
        var sessions = await DeleteInBatchesAsync(_deleteExpiredSessions, [("now", now)], cancellationToken);
        _deleted.Add(sessions, new KeyValuePair<string, object?>("kind", "sessions"));
        return new SweepResult(runs, entries, sessions);
    }

    /// <summary>
    /// SQLite: deletes the runs of a scenario about to be deleted, one batch per turn at the write gate, so that
    /// deleting a scenario with a long history does not hold the one write lock (and every trigger) for as long as
    /// deleting all of it takes: 16.5 s for 500,000 runs in one transaction. PostgreSQL: nothing; the scenario's
    /// cascade deletes them in one statement without holding up other writers, and there is no index by scenario over
    /// every run to batch by (RunConfiguration).
    /// </summary>
    public async Task DeleteRunsOfScenarioAsync(Guid scenarioId, CancellationToken cancellationToken)
    {
        if (connection.Provider == DatabaseProvider.Sqlite)
        {
            await DeleteInBatchesAsync(
                """DELETE FROM "Runs" WHERE "Id" IN (SELECT "Id" FROM "Runs" WHERE "ScenarioId" = @scenario LIMIT @batch)""",
                [("scenario", scenarioId)], cancellationToken);
        }
    }

    private static string SkipLocked(HubConnectionString connection) =>
        connection.Provider == DatabaseProvider.Postgres ? "FOR UPDATE SKIP LOCKED" : "";

    private async Task<List<Guid>> ReadWorkspacesAsync(CancellationToken cancellationToken)
    {
        await using var db = await HubSql.OpenAsync(connection, cancellationToken);
        await using var command = HubSql.Command(db, null, """SELECT "Id" FROM "Workspaces" """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var workspaces = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            workspaces.Add(HubSql.ReadGuid(reader, 0));
        }
        return workspaces;
    }

    /// <summary>Runs the delete, one batch per turn at SQLite's write gate, until a batch comes back short.</summary>
    private async Task<int> DeleteInBatchesAsync(string sql, (string Name, object? Value)[] parameters, CancellationToken cancellationToken)
    {
        var deleted = 0;
        int batch;
        do
        {
            using var turn = await writeGate.EnterAsync(SqliteWriteGate.Writers.Housekeeping, cancellationToken);
            await using var db = await HubSql.OpenAsync(connection, cancellationToken);
            await using var command = HubSql.Command(db, null, sql);
            foreach (var (name, value) in parameters)
            {
                command.Add(name, value);
            }
            command.Add("batch", _options.BatchSize);
            batch = await command.ExecuteNonQueryAsync(cancellationToken);
            deleted += batch;
        }
        while (batch == _options.BatchSize);
        return deleted;
    }
}

/// <summary>What one sweep deleted.</summary>
internal readonly record struct SweepResult(int Runs, int StorageEntries, int Sessions);
