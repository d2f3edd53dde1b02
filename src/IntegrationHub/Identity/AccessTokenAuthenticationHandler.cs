using System.Security.Claims;
using System.Text.Encodings.Web;
using IntegrationHub.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Identity;

/// <summary>
/// <c>Authorization: Bearer &lt;personal access token&gt;</c> (scheme name case-insensitive). Looks the token up by
/// its hash; the answer is cached briefly so the trigger path does not read the database on every request.
/// </summary>
internal sealed partial class AccessTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDbContextFactory<HubDbContext> dbFactory,
    IMemoryCache cache,
    TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>
    /// How long a token lookup is reused. A revocation made on this node takes effect at once (the entry is evicted);
    /// one made on another node takes effect within this time.
    /// </summary>
    internal static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(10);

    /// <summary>Last-used times are written at most this often per token, to keep writes off the hot path.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!TryReadBearer(Request.Headers.Authorization.ToString(), out var token))
        {
            return AuthenticateResult.NoResult();
        }

        var hash = AccessTokenFormat.Hash(token);
        var grant = await cache.GetOrCreateAsync(CacheKey(hash), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheDuration;
            return await LoadGrantAsync(hash, Context.RequestAborted);
        });

        var now = time.GetUtcNow();
        if (grant is null || !AccessTokenFormat.HashesEqual(grant.Hash, hash) || (grant.ExpiresAt is { } expiry && expiry <= now))
        {
            return AuthenticateResult.Fail("The access token is invalid, expired or revoked.");
        }

        if (grant.LastUsedAt is null || now - grant.LastUsedAt >= LastUsedResolution)
        {
            grant.LastUsedAt = now;
            await using var db = await dbFactory.CreateDbContextAsync(Context.RequestAborted);
            await db.AccessTokens.Where(t => t.Id == grant.TokenId)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);
        }

        return AuthenticateResult.Success(new AuthenticationTicket(grant.Principal, Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    /// <summary>Forgets a token's cached lookup, so a revocation applies on this node at once.</summary>
    public static void Evict(IMemoryCache cache, string hash) => cache.Remove(CacheKey(hash));

    internal static bool TryReadBearer(string header, out string token)
    {
        const string scheme = "Bearer ";
        if (header.Length > scheme.Length && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            token = header[scheme.Length..].Trim();
            return token.Length > 0;
        }
        token = "";
        return false;
    }

    private static string CacheKey(string hash) => "access-token:" + hash;

    private async Task<TokenGrant?> LoadGrantAsync(string hash, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var found = await (
            from t in db.AccessTokens
            join u in db.Users on t.UserId equals u.Id
            where t.Hash == hash && t.RevokedAt == null && !u.Disabled
            select new { t.Id, t.Hash, t.ExpiresAt, t.LastUsedAt, User = u })
            .AsNoTracking()
            .FirstOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return null;
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(HubPrincipal.Claims(found.User), HubSchemes.AccessToken));
        return new TokenGrant(found.Id, found.Hash, found.ExpiresAt, principal) { LastUsedAt = found.LastUsedAt };
    }

    private sealed record TokenGrant(Guid TokenId, string Hash, DateTimeOffset? ExpiresAt, ClaimsPrincipal Principal)
    {
        public DateTimeOffset? LastUsedAt { get; set; }
    }
}
