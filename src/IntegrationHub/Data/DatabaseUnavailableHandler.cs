using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace IntegrationHub.Data;

/// <summary>
/// Answers a request that failed because the database could not be reached (PostgreSQL down, restarting, out of
/// connections; an SQLite file that cannot be opened or written), or was busy with other work on the same rows (a
/// deadlock, SQLite locked past its busy timeout), or whose disk is full, with 503 and <c>Retry-After</c> instead of a
/// 500: nothing is wrong with the request, and a caller that tries again later succeeds. An unreachable database may
/// have stored the request (a commit can be lost on its way back), so that answer says to send it again with an
/// Idempotency-Key. A full disk has its own answer: it was reported as unreachable, which sent operators to look at the
/// network and the database server instead of the disk.
/// </summary>
internal sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger)
    : IExceptionHandler
{
    /// <summary>Seconds a caller is told to wait before trying again.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var trouble = DatabaseErrors.Classify(exception);
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
            ProblemDetails = Problem(trouble),
        });
    }

    private static ProblemDetails Problem(DatabaseTrouble trouble) => trouble switch
    {
        DatabaseTrouble.Unreachable => new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Database unavailable",
            Detail = "The hub cannot reach its database at the moment, so the request may not have been stored. Send it again in a "
                + "few seconds (Retry-After); with an Idempotency-Key, a trigger sent twice is queued once.",
        },
        DatabaseTrouble.DiskFull => new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Database disk full",
            Detail = "The disk of the hub's database is full, so the request was not stored. Send it again once its operator has "
                + "freed space (Retry-After); with an Idempotency-Key, a trigger sent twice is queued once.",
        },
        DatabaseTrouble.Contended => new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Database busy",
            Detail = "The request met other work on the same data in the database and was not completed; nothing of it was "
                + "stored. Send it again in a few seconds (Retry-After).",
        },
        DatabaseTrouble.None => throw new ArgumentOutOfRangeException(nameof(trouble), trouble, "Not a database trouble."),
        _ => throw new ArgumentOutOfRangeException(nameof(trouble), trouble, null),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered 503: the database could not be reached, was busy or had a full disk ({Reason})")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
