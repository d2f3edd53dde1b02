using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Identity;

/// <summary><c>/api/v1/me/tokens</c>: the caller's own personal access tokens.</summary>
internal static class AccessTokenEndpoints
{
    public static RouteGroupBuilder MapAccessTokenApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/me/tokens").WithTags("Account").RequireAuthorization(HubPolicies.Viewer)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/", List).WithName("ListMyTokens")
            .WithSummary("The caller's tokens: name, prefix, created, last used, expiry, revoked. Never the token itself.");
        group.MapGet("/{id:guid}", Get).WithName("GetMyToken")
            .WithSummary("One of the caller's tokens: name, prefix, created, last used, expiry, revoked. Never the token itself.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/", Create).WithName("CreateMyToken")
            .WithSummary("Creates a token; the answer shows it this once. A caller authenticated by a token that expires may create only tokens that expire no later.")
            .ProducesValidationProblem();
        group.MapDelete("/{id:guid}", Revoke).WithName("RevokeMyToken")
            .WithSummary("Revokes a token; requests with it get 401 from now on.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id:guid}/regenerate", Regenerate).WithName("RegenerateMyToken")
            .WithSummary("Revokes a token and issues a new one with the same name and lifetime; a revoked token stays revoked (409).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    public static async Task<Results<Ok<IReadOnlyList<AccessTokenInfo>>, ProblemHttpResult>> List(
        HttpContext context, PersonalAccessTokens tokens, CancellationToken cancellationToken) =>
        context.Caller().UserId is { } userId
            ? TypedResults.Ok(await tokens.ListAsync(userId, cancellationToken))
            : IdentityProblems.NoHubUser();

    public static async Task<Results<Ok<AccessTokenInfo>, ProblemHttpResult>> Get(
        Guid id, HttpContext context, PersonalAccessTokens tokens, CancellationToken cancellationToken)
    {
        if (context.Caller().UserId is not { } userId)
        {
            return IdentityProblems.NoHubUser();
        }
        var outcome = await tokens.GetAsync(userId, id, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value) : outcome.Error.ToProblem();
    }

    public static async Task<Results<Created<CreatedAccessToken>, ProblemHttpResult>> Create(
        CreateTokenRequest request, HttpContext context, PersonalAccessTokens tokens, CancellationToken cancellationToken)
    {
        if (context.Caller().UserId is not { } userId)
        {
            return IdentityProblems.NoHubUser();
        }
        var outcome = await tokens.CreateAsync(userId, request.Name, request.ExpiresInDays, CallerTokenExpiresAt(context), cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/v1/me/tokens/{outcome.Value.Info.Id}", outcome.Value)
            : outcome.Error.ToProblem();
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        Guid id, HttpContext context, PersonalAccessTokens tokens, CancellationToken cancellationToken)
    {
        if (context.Caller().UserId is not { } userId)
        {
            return IdentityProblems.NoHubUser();
        }
        var outcome = await tokens.RevokeAsync(userId, id, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : outcome.Error.ToProblem();
    }

    public static async Task<Results<Created<CreatedAccessToken>, ProblemHttpResult>> Regenerate(
        Guid id, HttpContext context, PersonalAccessTokens tokens, CancellationToken cancellationToken)
    {
        if (context.Caller().UserId is not { } userId)
        {
            return IdentityProblems.NoHubUser();
        }
        var outcome = await tokens.RegenerateAsync(userId, id, CallerTokenExpiresAt(context), cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/v1/me/tokens/{outcome.Value.Info.Id}", outcome.Value)
            : outcome.Error.ToProblem();
    }

    /// <summary>
    /// When the token that authenticated the request expires; null for a token without expiry and for the cookie. A
    /// token that expires must not be able to outlive itself by minting a token without expiry (or a later one): whoever
    /// holds a short-lived token, a leaked one included, would hold the account for good.
    /// </summary>
    private static DateTimeOffset? CallerTokenExpiresAt(HttpContext context) =>
        context.User.Identity?.AuthenticationType == HubSchemes.AccessToken
        && DateTimeOffset.TryParse(context.User.FindFirstValue(HubClaims.TokenExpiresAt), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var expiresAt)
            ? expiresAt
            : null;
}

/// <param name="ExpiresInDays">1 to 3650; left out, the token does not expire.</param>
internal sealed record CreateTokenRequest(string? Name, int? ExpiresInDays);
