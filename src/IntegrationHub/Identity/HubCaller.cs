using System.Security.Claims;

namespace IntegrationHub.Identity;

/// <summary>Who is calling, read from the principal of any scheme (token, Azure AD, cookie).</summary>
/// <param name="UserId">The hub user; null for Azure AD callers that have no hub user.</param>
internal sealed record HubCaller(Guid? UserId, Guid WorkspaceId, UserRole Role, bool IsInstallationAdmin)
{
    /// <summary>The caller, or null when the principal is not authenticated by a hub scheme.</summary>
    public static HubCaller? From(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true
            || !Guid.TryParse(principal.FindFirstValue(HubClaims.WorkspaceId), out var workspaceId)
            || !Enum.TryParse<UserRole>(principal.FindFirstValue(HubClaims.Role), out var role))
        {
            return null;
        }

        Guid? userId = Guid.TryParse(principal.FindFirstValue(HubClaims.UserId), out var id) ? id : null;
        return new HubCaller(userId, workspaceId, role, principal.HasClaim(HubClaims.InstallationAdmin, "true"));
    }

    public bool CanTrigger => Role >= UserRole.Operator;
    public bool CanEdit => Role >= UserRole.Editor;
    public bool CanRead => Role >= UserRole.Viewer;
}

internal static class HubCallerExtensions
{
    /// <summary>The caller of an endpoint behind a hub policy; the policy guarantees there is one.</summary>
    public static HubCaller Caller(this HttpContext context) =>
        HubCaller.From(context.User) ?? throw new InvalidOperationException("The endpoint lacks a hub authorization policy.");
}
