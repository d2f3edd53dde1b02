using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace IntegrationHub.Data;

/// <summary>Recognises the database errors the hub answers or retries instead of failing with them.</summary>
internal static class DatabaseErrors
{
    /// <summary>What the exception, or one it wraps (EF wraps the provider's), says of the database, if anything.</summary>
    public static DatabaseTrouble Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Checked before IsTransient: the server answers, but cannot write until space is freed.
                case PostgresException { SqlState: PostgresErrorCodes.DiskFull }:
                    return DatabaseTrouble.DiskFull;
                // Checked before IsTransient, which Npgsql sets for these too: the server is there, the rows were taken.
                case PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.LockNotAvailable }:
                    return DatabaseTrouble.Contended;
                // Npgsql's own judgement: connection failures, timeouts, a server shutting down or out of connections.
                case NpgsqlException { IsTransient: true }:
                    return DatabaseTrouble.Unreachable;
                case SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked }:
                    return DatabaseTrouble.Contended;
                case SqliteException { SqliteErrorCode: SqliteFull }:
                    return DatabaseTrouble.DiskFull;
                case SqliteException { SqliteErrorCode: SqliteIoError or SqliteCantOpen }:
                    return DatabaseTrouble.Unreachable;
            }
        }
        return DatabaseTrouble.None;
    }

    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteIoError = 10;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;

    /// <summary>
    /// PostgreSQL refused to commit a serializable transaction because a concurrent one read or wrote the same rows
    /// (SQLSTATE 40001): the other one won, and this one's check may no longer hold.
    /// </summary>
    public static bool IsSerializationFailure(Exception ex) =>
        ex is DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.SerializationFailure } }
        || ex is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure };
}

/// <summary>Why a database call failed, as far as the caller of the hub is concerned.</summary>
internal enum DatabaseTrouble
{
    /// <summary>Not for a reason of the database's: a bug, or bad data.</summary>
    None,
    /// <summary>The database could not be reached or written: down, restarting, out of connections.</summary>
    Unreachable,
    /// <summary>
    /// The database's disk is full (SQLite's SQLITE_FULL, PostgreSQL's 53100): it answers, but no write commits until
    /// space is freed. Told apart from <see cref="Unreachable"/> so that the answer says what to fix.
    /// </summary>
    DiskFull,
    /// <summary>The database was there, but other work held the same rows: a deadlock, a lock not granted in time.</summary>
    Contended,
}
