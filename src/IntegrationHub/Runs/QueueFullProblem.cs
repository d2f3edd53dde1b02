using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Runs;

/// <summary>The 429 every way of triggering a run answers when the scenario's queue is full.</summary>
internal static class QueueFullProblem
{
    /// <summary>Why, in the words of the Advanced edit page, where the limit is set; the pages say it too.</summary>
    public const string Detail = "The scenario already has as many waiting runs as its Queue limit (Advanced edit) allows; try again later.";

    public static ProblemHttpResult Create(HttpContext context, RunsOptions options)
    {
        context.Response.Headers.RetryAfter = options.QueueFullRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Queue full",
            detail: Detail);
    }
}
