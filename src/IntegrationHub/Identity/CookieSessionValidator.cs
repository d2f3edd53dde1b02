using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Identity;

/// <summary>
/// Re-checks a cookie's user against the database on every request (through a short cache): a disabled or deleted
/// user, one whose password changed, or one disabled since the cookie was issued (even if enabled again) loses the
/// session; a changed role or workspace applies to the session.
/// Without this a cookie would stay valid for its whole lifetime (7 days) whatever an admin did.
/// A "Sign in with Microsoft" session, which has no hub user, is checked against the AzureAd settings instead.
/// </summary>
internal sealed class CookieSessionValidator(
    IDbContextFactory<HubDbContext> dbFactory,
    IMemoryCache cache,
    IOptions<AzureAdOptions> azureAd,
    DefaultWorkspace defaultWorkspace,
    TimeProvider time)
{
    /// <summary>
    /// How long a user's state is reused. A change made on this node applies at once (the entry is evicted);
    /// one made on another node applies within this time.
    /// </summary>
    internal static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(15);

    internal const string PasswordStampClaim = "hub:password-stamp";

    /// <summary><see cref="User.SessionStamp"/> when the cookie was issued; cookies without it were issued before any change.</summary>
    internal const string SessionStampClaim = "hub:session-stamp";

    public async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        if (principal is null)
        {
            return;
        }
        if (!Guid.TryParse(principal.FindFirstValue(HubClaims.UserId), out var userId))
        {
            await ValidateMicrosoftSessionAsync(context, principal);
            return;
        }

        var user = await cache.GetOrCreateAsync(CacheKey(userId), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheDuration;
            await using var db = await dbFactory.CreateDbContextAsync(context.HttpContext.RequestAborted);
            return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, context.HttpContext.RequestAborted);
        });

        if (user is null || user.Disabled
            || principal.FindFirstValue(PasswordStampClaim) != PasswordStamp(user.PasswordHash)
            || (principal.FindFirstValue(SessionStampClaim) ?? Guid.Empty.ToString()) != user.SessionStamp.ToString())
        {
            await EndAsync(context);
            return;
        }

        if (principal.FindFirstValue(HubClaims.Role) != user.Role.ToString()
            || principal.FindFirstValue(HubClaims.WorkspaceId) != user.WorkspaceId.ToString()
            || principal.HasClaim(HubClaims.InstallationAdmin, "true") != user.IsInstallationAdmin
            || principal.Identity?.Name != user.Email)
        {
            context.ReplacePrincipal(AccountSignIn.CreateCookiePrincipal(user));
            context.ShouldRenew = true;
        }
    }

    /// <summary>
    /// A session of "Sign in with Microsoft" holds what the AzureAd settings said when it began. It ends when Microsoft
    /// sign-in is turned off, when the admitted group changed, and after <see cref="AzureAdOptions.SessionLifetime"/>:
    /// the hub cannot ask Entra ID whether the person is still in the group or enabled, so the browser goes back through
    /// Microsoft then. A changed workspace or role applies at once, as for the hub's own users.
    /// </summary>
    private async Task ValidateMicrosoftSessionAsync(CookieValidatePrincipalContext context, ClaimsPrincipal principal)
    {
        var settings = azureAd.Value;
        var signedInAt = long.TryParse(principal.FindFirstValue(HubClaims.MicrosoftSignedInAt), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : (DateTimeOffset?)null;
        if (!settings.IsInteractiveSignInEnabled
            || signedInAt is null
            || time.GetUtcNow() - signedInAt.Value >= settings.SessionLifetime
            || !string.Equals(principal.FindFirstValue(HubClaims.MicrosoftGroup), settings.Group?.Trim() ?? "", StringComparison.OrdinalIgnoreCase))
        {
            await EndAsync(context);
            return;
        }

        var workspaceId = (settings.WorkspaceId ?? await defaultWorkspace.GetIdAsync(context.HttpContext.RequestAborted)).ToString();
        var role = settings.Role.ToString();
        if (principal.FindFirstValue(HubClaims.WorkspaceId) != workspaceId || principal.FindFirstValue(HubClaims.Role) != role)
        {
            var claims = principal.Claims.Where(c => c.Type is not (HubClaims.WorkspaceId or HubClaims.Role))
                .Append(new Claim(HubClaims.WorkspaceId, workspaceId))
                .Append(new Claim(HubClaims.Role, role));
            context.ReplacePrincipal(new ClaimsPrincipal(new ClaimsIdentity(claims, HubSchemes.Cookie, ClaimTypes.Name, HubClaims.Role)));
            context.ShouldRenew = true;
        }
    }

    /// <summary>Refuses the cookie and ends its session (the server-side session is deleted, the cookie removed).</summary>
    private static async Task EndAsync(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(HubSchemes.Cookie);
    }

    /// <summary>Forgets a user's cached state, so a change made on this node applies to their sessions at once.</summary>
    public static void Evict(IMemoryCache cache, Guid userId) => cache.Remove(CacheKey(userId));

    /// <summary>A short fingerprint of the password hash: changes whenever the password does, reveals nothing of it.</summary>
    internal static string PasswordStamp(string? passwordHash) =>
        passwordHash is null ? "none" : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(passwordHash)))[..16];

    private static string CacheKey(Guid userId) => "cookie-user:" + userId;
}
