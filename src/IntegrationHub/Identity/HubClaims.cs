using System.Security.Claims;

namespace IntegrationHub.Identity;

/// <summary>Claim types every authentication scheme of the hub puts on its principal.</summary>
internal static class HubClaims
{
    public const string UserId = "hub:user";
    public const string WorkspaceId = "hub:workspace";
    public const string Role = ClaimTypes.Role;
    public const string InstallationAdmin = "hub:installation-admin";

    /// <summary>When the personal access token that authenticated the request expires (ISO 8601); absent when it never does.</summary>
    public const string TokenExpiresAt = "hub:token-expires-at";

    /// <summary>A "Sign in with Microsoft" session: when the person signed in at Microsoft (Unix seconds).</summary>
    public const string MicrosoftSignedInAt = "hub:microsoft-signed-in-at";

    /// <summary>A "Sign in with Microsoft" session: the group <c>AzureAd:Group</c> named when it began (empty for none).</summary>
    public const string MicrosoftGroup = "hub:microsoft-group";

    /// <summary>
    /// Every claim type the hub issues or reads to decide who a caller is and what they may do. A principal built from
    /// someone else's token (Azure AD) has these removed before the hub adds its own: the first of each is the one read,
    /// so a token carrying <c>hub:workspace</c> or a role of its own would otherwise choose its workspace and role.
    /// Compared ignoring case, as <see cref="ClaimsPrincipal.FindFirst(string)"/> compares claim types.
    /// </summary>
    internal static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        UserId, WorkspaceId, Role, InstallationAdmin, ClaimTypes.Name, CookieSessionValidator.PasswordStampClaim,
        CookieSessionValidator.SessionStampClaim, TokenExpiresAt, MicrosoftSignedInAt, MicrosoftGroup,
    };
}
