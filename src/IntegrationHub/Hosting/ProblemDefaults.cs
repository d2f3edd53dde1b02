using System.Collections.Frozen;
using Microsoft.AspNetCore.WebUtilities;

namespace IntegrationHub.Hosting;

/// <summary>
/// Completes every problem the hub answers, so a client can always read <c>type</c>, <c>title</c>, <c>status</c> and
/// <c>detail</c>: ASP.NET Core knows no type for 413 and 429, the bare status codes routing answers (404, 405)
/// come without a detail, and a validation problem's detail repeats its errors.
/// </summary>
internal static class ProblemDefaults
{
    private static readonly FrozenDictionary<int, string> Types = new Dictionary<int, string>
    {
        [StatusCodes.Status413PayloadTooLarge] = "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        [StatusCodes.Status429TooManyRequests] = "https://tools.ietf.org/html/rfc6585#section-4",
    }.ToFrozenDictionary();

    public static void Complete(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        if (problem.Type is null && Types.TryGetValue(status, out var type))
        {
            problem.Type = type;
        }
        problem.Detail ??= problem is HttpValidationProblemDetails { Errors.Count: > 0 } invalid
            ? ErrorsOf(invalid)
            : DetailOf(context.HttpContext, status);
        problem.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);
    }

    /// <summary>A validation problem's errors in one line, for a client that shows only the detail.</summary>
    private static string ErrorsOf(HttpValidationProblemDetails problem) =>
        string.Join(" ", problem.Errors.SelectMany(field => field.Value.Select(message => $"{field.Key}: {message}")));

    private static string DetailOf(HttpContext context, int status) => status switch
    {
        StatusCodes.Status404NotFound => $"There is nothing at {context.Request.Path}.",
        StatusCodes.Status405MethodNotAllowed =>
            $"{context.Request.Method} is not allowed on {context.Request.Path}; allowed: {context.Response.Headers.Allow}.",
        _ => ReasonPhrases.GetReasonPhrase(status) + ".",
    };
}
