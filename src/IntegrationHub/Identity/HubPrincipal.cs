using System.Security.Claims;

namespace IntegrationHub.Identity;

/// <summary>Builds the claims every scheme puts on a hub user's principal (see <see cref="HubClaims"/>).</summary>
internal static class HubPrincipal
{
    public static IEnumerable<Claim> Claims(User user)
    {
        yield return new Claim(HubClaims.UserId, user.Id.ToString());
        yield return new Claim(HubClaims.WorkspaceId, user.WorkspaceId.ToString());
        yield return new Claim(HubClaims.Role, user.Role.ToString());
        yield return new Claim(ClaimTypes.Name, user.Email);
        if (user.IsInstallationAdmin)
        {
            yield return new Claim(HubClaims.InstallationAdmin, "true");
        }
    }
}
