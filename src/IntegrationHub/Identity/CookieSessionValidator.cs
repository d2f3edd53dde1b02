using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace IntegrationHub.Identity;

/// <summary>
/// Re-checks a cookie's user against the database on every request (through a short cache): a disabled or deleted
/// user, one whose password changed, or one disabled since the cookie was issued (even if enabled again) loses the
/// session; a changed role or workspace applies to the session.
/// Without this a cookie would stay valid for its whole lifetime (7 days) whatever an admin did.
/// </summary>
internal sealed class CookieSessionValidator(IDbContextFactory<HubDbContext> dbFactory, IMemoryCache cache)
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
        if (principal is null || !Guid.TryParse(principal.FindFirstValue(HubClaims.UserId), out var userId))
        {
            // Signed in through Microsoft without a hub user: nothing in the database to re-check.
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
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(HubSchemes.Cookie);
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

    /// <summary>Forgets a user's cached state, so a change made on this node applies to their sessions at once.</summary>
    public static void Evict(IMemoryCache cache, Guid userId) => cache.Remove(CacheKey(userId));

    /// <summary>A short fingerprint of the password hash: changes whenever the password does, reveals nothing of it.</summary>
    internal static string PasswordStamp(string? passwordHash) =>
        passwordHash is null ? "none" : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(passwordHash)))[..16];

    private static string CacheKey(Guid userId) => "cookie-user:" + userId;
}
