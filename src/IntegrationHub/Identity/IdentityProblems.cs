using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Identity;

/// <summary>The one place where identity's expected failures become RFC 7807 problems.</summary>
internal static class IdentityProblems
{
    /// <summary>400 validation problem (with <c>errors</c> by field), 403, 404, 409 or 429.</summary>
    public static ProblemHttpResult ToProblem(this IdentityError error) => error.Kind switch
    {
        IdentityErrorKind.Invalid => TypedResults.Problem(new HttpValidationProblemDetails(error.Errors?.ToDictionary() ?? [])
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more validation errors occurred.",
            // Without a detail, ProblemDefaults writes the errors in one line ("email: ..."), as the scenario endpoints
            // answer: a client that shows only the detail read "One or more fields are invalid." and not which.
            Detail = error.Errors is { Count: > 0 } ? null : error.Detail,
        }),
        IdentityErrorKind.Forbidden => Problem(StatusCodes.Status403Forbidden, "Forbidden", error.Detail),
        IdentityErrorKind.NotFound => Problem(StatusCodes.Status404NotFound, "Not found", error.Detail),
        IdentityErrorKind.Conflict => Problem(StatusCodes.Status409Conflict, "Conflict", error.Detail),
        IdentityErrorKind.TooManyAttempts => Problem(StatusCodes.Status429TooManyRequests, "Too many attempts", error.Detail),
        _ => throw new ArgumentOutOfRangeException(nameof(error), error.Kind, null),
    };

    /// <summary>As <see cref="ToProblem(IdentityError)"/>, and a 429 also tells the client when to retry (<c>Retry-After</c>, seconds).</summary>
    public static ProblemHttpResult ToProblem(this IdentityError error, HttpResponse response)
    {
        if (error.RetryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        return error.ToProblem();
    }

    public static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title);

    /// <summary>For callers without a hub user (an Azure AD token): there is no account to manage.</summary>
    public static ProblemHttpResult NoHubUser() =>
        Problem(StatusCodes.Status403Forbidden, "Forbidden", "This caller has no hub user account (signed in through Azure AD).");

    /// <summary>An Azure AD token that is valid but lacks <c>AzureAd:Group</c>: no role at all, whatever the endpoint needs.</summary>
    public static ProblemHttpResult AzureAdGroupMissing() =>
        Problem(StatusCodes.Status403Forbidden, "Forbidden",
            "The Azure AD token lacks the group this hub requires (its groups claim does not hold it); ask your directory admin to add the account to that group.");

    /// <summary>A trigger that a page of another site, or of a sibling subdomain, made a signed-in browser send.</summary>
    public static ProblemHttpResult TriggerFromAnotherSite() =>
        Problem(StatusCodes.Status403Forbidden, "Forbidden",
            "A page of another site cannot trigger runs with your sign-in cookie. Trigger from the hub's own pages, or send Authorization: Bearer <token>.");

    /// <summary>A change to the management API that a page of another site, or of a sibling subdomain, made a signed-in browser send.</summary>
    public static ProblemHttpResult CookieFromAnotherSite() =>
        Problem(StatusCodes.Status403Forbidden, "Forbidden",
            "A page of another site cannot use your sign-in cookie to change anything in the hub. Use the hub's own pages, or send Authorization: Bearer <token>.");
}
