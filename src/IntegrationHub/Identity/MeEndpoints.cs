using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Identity;

/// <summary><c>/api/v1/me</c>: who the caller is, and their password.</summary>
internal static class MeEndpoints
{
    public static RouteGroupBuilder MapMeApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/me").WithTags("Account").RequireAuthorization(HubPolicies.Viewer)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/", GetMe).WithName("GetMe").WithSummary("The signed-in caller: user, workspace and role.");
        group.MapPost("/password", ChangePassword).WithName("ChangeMyPassword")
            .WithSummary("Changes the caller's password; other browsers signed in as the caller are signed out.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return group;
    }

    public static Results<Ok<MeResponse>, UnauthorizedHttpResult> GetMe(HttpContext context) =>
        HubCaller.From(context.User) is { } caller
            ? TypedResults.Ok(new MeResponse(caller.UserId, context.User.Identity?.Name, caller.WorkspaceId, caller.Role, caller.IsInstallationAdmin))
            : TypedResults.Unauthorized();

    public static async Task<Results<NoContent, ProblemHttpResult>> ChangePassword(
        ChangePasswordRequest request, HttpContext context, AccountSignIn accounts, CancellationToken cancellationToken)
    {
        if (context.Caller().UserId is null)
        {
            return IdentityProblems.NoHubUser();
        }
        var outcome = await accounts.ChangePasswordAsync(context, request.CurrentPassword, request.NewPassword, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : outcome.Error.ToProblem(context.Response);
    }
}

internal sealed record MeResponse(Guid? UserId, string? Email, Guid WorkspaceId, UserRole Role, bool IsInstallationAdmin);

internal sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);
