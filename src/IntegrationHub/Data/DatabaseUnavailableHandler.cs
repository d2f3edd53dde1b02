using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace IntegrationHub.Data;

/// <summary>
/// Answers a request that failed because the database could not be reached (PostgreSQL down, restarting, out of
/// connections; an SQLite file that cannot be opened or written), or was busy with other work on the same rows (a
/// deadlock, SQLite locked past its busy timeout), with 503 and <c>Retry-After</c> instead of a 500: nothing is wrong
/// with the request, and a caller that tries again later succeeds. An unreachable database may have stored the request
/// (a commit can be lost on its way back), so that answer says to send it again with an Idempotency-Key.
/// </summary>
internal sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger)
    : IExceptionHandler
{
    /// <summary>Seconds a caller is told to wait before trying again.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var trouble = Classify(exception);
        if (trouble == DatabaseTrouble.None || httpContext.Response.HasStarted)
        {
            return false;
        }

        LogUnavailable(logger, exception.GetBaseException().Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = trouble == DatabaseTrouble.Unreachable
                ? new ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Title = "Database unavailable",
                    Detail = "The hub cannot reach its database at the moment, so the request may not have been stored. Send it again in a "
                        + "few seconds (Retry-After); with an Idempotency-Key, a trigger sent twice is queued once.",
                }
                : new ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Title = "Database busy",
                    Detail = "The request met other work on the same data in the database and was not completed; nothing of it was "
                        + "stored. Send it again in a few seconds (Retry-After).",
                },
        });
    }

    /// <summary>What the exception, or one it wraps (EF wraps the provider's), says of the database, if anything.</summary>
    internal static DatabaseTrouble Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Checked before IsTransient, which Npgsql sets for these too: the server is there, the rows were taken.
                case PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.LockNotAvailable }:
                    return DatabaseTrouble.Contended;
                // Npgsql's own judgement: connection failures, timeouts, a server shutting down or out of connections.
                case NpgsqlException { IsTransient: true }:
                    return DatabaseTrouble.Unreachable;
                case SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked }:
                    return DatabaseTrouble.Contended;
                case SqliteException { SqliteErrorCode: SqliteIoError or SqliteFull or SqliteCantOpen }:
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered 503: the database could not be reached or was busy ({Reason})")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}

/// <summary>Why a database call failed, as far as the caller of the hub is concerned.</summary>
internal enum DatabaseTrouble
{
    /// <summary>Not for a reason of the database's: a bug, or bad data.</summary>
    None,
    /// <summary>The database could not be reached or written: down, restarting, out of connections or disk.</summary>
    Unreachable,
    /// <summary>The database was there, but other work held the same rows: a deadlock, a lock not granted in time.</summary>
    Contended,
}
