using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Runs;

/// <summary>The 429 every way of triggering a run answers when the scenario's queue is full.</summary>
internal static class QueueFullProblem
{
    public static ProblemHttpResult Create(HttpContext context, RunsOptions options)
    {
        context.Response.Headers.RetryAfter = options.QueueFullRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Queue full",
            detail: "The scenario already has its maximum of queued runs (Max Queued Runs); try again later.");
    }
}
