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
            // In the words of the Advanced edit page, where the limit is set.
            detail: "The scenario already has as many waiting runs as its Queue limit (Advanced edit) allows; try again later.");
    }
}
