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
        StatusCodes.Status403Forbidden => NeededRole(context) is { } needed
            ? $"Your role does not allow this; it takes {needed}."
            : "Your role does not allow this.",
        StatusCodes.Status404NotFound => $"There is nothing at {context.Request.Path}.",
        StatusCodes.Status405MethodNotAllowed =>
            $"{context.Request.Method} is not allowed on {context.Request.Path}; allowed: {context.Response.Headers.Allow}.",
        // Kestrel's limit (30,000,000 bytes unless configured), where nothing of ours said more.
        StatusCodes.Status413PayloadTooLarge when context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } max =>
            $"The request body is larger than the hub takes here: at most {max:N0} bytes.",
        // Routing's answer to a Content-Type the endpoint does not take; every body of the API is JSON.
        StatusCodes.Status415UnsupportedMediaType when ApiProblemWriter.IsApi(context.Request) =>
            $"The body must be sent as application/json; the request's Content-Type is '{context.Request.ContentType}'.",
        _ => ReasonPhrases.GetReasonPhrase(status) + ".",
    };

    /// <summary>The least role the endpoint's policies ask for ("Editor or above"), from its metadata; null when it names none.</summary>
    private static string? NeededRole(HttpContext context)
    {
        var policies = context.GetEndpoint()?.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>()
            .Select(a => a.Policy).ToList() ?? [];
        if (policies.Contains(Identity.HubPolicies.InstallationAdmin))
        {
            return "an installation admin";
        }
        // A group asks for Viewer and an endpoint in it for more: the most demanding policy is the one that refused.
        var roles = policies.Select(p => Enum.TryParse<Identity.UserRole>(p, out var role) ? role : (Identity.UserRole?)null).OfType<Identity.UserRole>().ToList();
        return roles.Count == 0 ? null : $"{roles.Max()} or above";
    }
}
