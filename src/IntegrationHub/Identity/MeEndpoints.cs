using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Identity;

/// <summary><c>/api/v1/me</c>: who the caller is.</summary>
internal static class MeEndpoints
{
    public static RouteGroupBuilder MapMeApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/me").WithTags("Account").RequireAuthorization(HubPolicies.Viewer);
        group.MapGet("/", GetMe).WithName("GetMe").WithSummary("The signed-in caller: user, workspace and role.");
        return group;
    }

    public static Results<Ok<MeResponse>, UnauthorizedHttpResult> GetMe(HttpContext context) =>
        HubCaller.From(context.User) is { } caller
            ? TypedResults.Ok(new MeResponse(caller.UserId, context.User.Identity?.Name, caller.WorkspaceId, caller.Role, caller.IsInstallationAdmin))
            : TypedResults.Unauthorized();
}

public sealed record MeResponse(Guid? UserId, string? Email, Guid WorkspaceId, UserRole Role, bool IsInstallationAdmin);
