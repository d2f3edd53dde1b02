using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace IntegrationHub.Data;

/// <summary>
/// Answers a request that failed because the database could not be reached (PostgreSQL down, restarting, out of
/// connections; an SQLite file that cannot be opened or written) with 503 and <c>Retry-After</c> instead of a 500:
/// nothing is wrong with the request, and a caller that tries again later succeeds. The request may or may not have
/// been stored (a commit can be lost on its way back), so the answer says to send it again with an Idempotency-Key.
/// </summary>
internal sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger)
    : IExceptionHandler
{
    /// <summary>Seconds a caller is told to wait before trying again.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception) || httpContext.Response.HasStarted)
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
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Database unavailable",
                Detail = "The hub cannot reach its database at the moment, so the request may not have been stored. Send it again in a "
                    + $"few seconds (Retry-After); with an Idempotency-Key, a trigger sent twice is queued once.",
            },
        });
    }

    /// <summary>Whether the exception, or one it wraps (EF wraps the provider's), says the database could not be reached.</summary>
    internal static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Npgsql's own judgement: connection failures, timeouts, a server shutting down or out of connections.
                case NpgsqlException { IsTransient: true }:
                    return true;
                case SqliteException { SqliteErrorCode: SqliteIoError or SqliteFull or SqliteCantOpen }:
                    return true;
            }
        }
        return false;
    }

    private const int SqliteIoError = 10;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered 503: the database could not be reached ({Reason})")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
