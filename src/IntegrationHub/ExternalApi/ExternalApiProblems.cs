using IntegrationHub.Hosting;
using IntegrationHub.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.ExternalApi;

/// <summary>
/// Every error the external API answers, in one place, as RFC 7807 problems; those about the body's charset are
/// <see cref="BodyTextProblems"/>, which the storage PUT answers too.
/// </summary>
internal static class ExternalApiProblems
{
    /// <summary>No credentials for a scenario that takes external triggers but not anonymous ones.</summary>
    public static ProblemHttpResult CredentialsRequired(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Authentication required",
            detail: "Send Authorization: Bearer <token>, or allow anonymous triggers on the scenario.");
    }

    /// <summary>
    /// Credentials the hub refused. The token handler names RFC 6750's error (<c>invalid_request</c> for a header it
    /// cannot read, <c>invalid_token</c> for a token it does not take) and says why, as /api/v1's challenge does.
    /// </summary>
    public static ProblemHttpResult CredentialsInvalid(HttpContext context, AuthenticateResult authentication)
    {
        var error = authentication.Properties?.GetString(AccessTokenAuthenticationHandler.ErrorItem);
        context.Response.Headers.WWWAuthenticate = $"Bearer error=\"{error ?? "invalid_token"}\"";
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Invalid credentials",
            detail: error is null ? "The credentials sent are invalid, expired or revoked." : authentication.Failure?.Message);
    }

    public static ProblemHttpResult Forbidden(string action) => TypedResults.Problem(
        statusCode: StatusCodes.Status403Forbidden,
        title: "Not allowed",
        detail: $"Your role may not {action}.");

    /// <param name="triggersNeeded">
    /// Whether the caller needed the scenario's external triggers on: to trigger it, and to read its storage without
    /// credentials. A signed-in caller reads any scenario's storage in their workspace.
    /// </param>
    public static ProblemHttpResult ScenarioNotFound(Guid id, bool triggersNeeded = true) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "Scenario not found",
        detail: triggersNeeded
            ? $"There is no scenario {id} with external triggers enabled in your workspace."
            : $"There is no scenario {id} in your workspace.");

    public static ProblemHttpResult ScenarioDisabled(Guid id) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "Scenario disabled",
        detail: $"Scenario {id} is disabled; enable it to accept triggers.");

    public static ProblemHttpResult BodyTooLarge(long maxBytes) => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Body too large",
        detail: $"The request body is larger than {maxBytes} bytes.");

    public static ProblemHttpResult UnsupportedContentType(string? contentType) => TypedResults.Problem(
        statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: "Unsupported content type",
        detail: $"Content type '{contentType}' is not accepted; send {string.Join(", ", AcceptOpenApi.ContentTypes)}.");

    public static ProblemHttpResult UnsupportedFormCharset(string charset) => TypedResults.Problem(
        statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: "Unsupported charset",
        detail: $"An application/x-www-form-urlencoded body is ASCII with %-escaped bytes, which charset '{charset}' cannot carry; "
            + "send the form as UTF-8 (the default) or a charset that writes ASCII as ASCII (ISO-8859-1, windows-1252...).");

    public static ProblemHttpResult BadRequest(string title, string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest,
        title: title,
        detail: detail);
}
