using IntegrationHub.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Data;

/// <summary>
/// SQLite only: copies the write-ahead log into the database file in the background, on a connection of its own.
/// </summary>
/// <remarks>
/// Left to itself, SQLite checkpoints inside the commit that takes the log past 1,000 pages: that commit copies the
/// pages and syncs both files while every other writer waits behind it, which made checkpoints the hub's worst accept
/// latencies (the p99 followed the checkpoint size: 15-19 ms at 1,000 pages, 31-34 ms at 2,000). A passive checkpoint
/// runs beside the writers, so the commit that still reaches 1,000 pages (SQLite restarts the log only from a
/// checkpoint that caught up with the last commit) finds nearly everything copied already.
/// </remarks>
internal sealed partial class SqliteCheckpointer(
    HubConnectionString connection,
    IOptions<DatabaseOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SqliteCheckpointInterval;
        // Not before the node has started (HostStart): a node that fails to start leaves the file as it found it.
        if (connection.Provider != DatabaseProvider.Sqlite || interval <= TimeSpan.Zero || !await lifetime.WaitForStartAsync(stoppingToken))
        {
            return;
        }
        using var timer = new PeriodicTimer(interval, time);
        // A full disk or a lost file fails every tick, 50 a second: its stack trace once, then a line now and then.
        var failures = new FailureStreak(
            e => LogCheckpointFailed(logger, e), (count, reason) => LogCheckpointFailedAgain(logger, count, reason), count => LogCheckpointing(logger, count));
        SqliteConnection? db = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    db ??= (SqliteConnection)await HubSql.OpenAsync(connection, stoppingToken);
                    await using var checkpoint = HubSql.Command(db, null, "PRAGMA wal_checkpoint(PASSIVE)");
                    // Answers a row (busy, log pages, copied pages) instead of waiting when another checkpoint runs.
                    await checkpoint.ExecuteNonQueryAsync(stoppingToken);
                    failures.Succeed();
                }
                catch (SqliteException ex)
                {
                    // The commits' own checkpoints still keep the log bounded; try again on the next tick.
                    failures.Fail(ex);
                    await (db?.DisposeAsync() ?? ValueTask.CompletedTask);
                    db = null;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await (db?.DisposeAsync() ?? ValueTask.CompletedTask);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A background SQLite checkpoint failed")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A background SQLite checkpoint failed {Failures} times in a row: {Reason}")]
    private static partial void LogCheckpointFailedAgain(ILogger logger, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Background SQLite checkpoints work again, after {Failures} failures")]
    private static partial void LogCheckpointing(ILogger logger, int failures);
}
