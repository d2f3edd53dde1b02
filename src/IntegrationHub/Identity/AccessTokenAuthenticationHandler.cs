using System.Data.Common;
using System.Globalization;
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
/// Any other Authorization header (another scheme, no scheme, an empty bearer) fails: a caller who sends credentials
/// is judged by them, never taken for an anonymous one.
/// </summary>
internal sealed partial class AccessTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDbContextFactory<HubDbContext> dbFactory,
    IMemoryCache cache,
    TimeProvider time,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>RFC 6750's error codes, carried from the failure to the challenge in the result's properties.</summary>
    internal const string ErrorItem = "bearer_error";
    private const string InvalidRequest = "invalid_request";
    private const string InvalidToken = "invalid_token";

    /// <summary>
    /// How long a token lookup is reused. A revocation made on this node takes effect at once (the entry is evicted);
    /// one made on another node takes effect within this time.
    /// </summary>
    internal static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(10);

    /// <summary>Last-used times are written at most this often per token, to keep writes off the hot path.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization;
        if (header.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }
        if (!TryReadBearer(header.ToString(), out var token))
        {
            return Fail(InvalidRequest, "Send the token as Authorization: Bearer <token>; the hub takes no other form of this header.");
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
            return Fail(InvalidToken, "The access token is invalid, expired or revoked.");
        }

        if (grant.LastUsedAt is null || now - grant.LastUsedAt >= LastUsedResolution)
        {
            grant.LastUsedAt = now;
            await RecordLastUseAsync(grant.TokenId, now);
        }

        return AuthenticateResult.Success(new AuthenticationTicket(grant.Principal, Scheme.Name));
    }

    /// <summary>
    /// Bookkeeping only, so it may fail without failing the request the token is valid for: an SQLite file locked by
    /// another writer past the busy timeout, or a PostgreSQL row lock, made a valid token's request a 500. The time is
    /// already on the cached grant, so this node does not try again, nor log again, until that entry expires.
    /// </summary>
    private async Task RecordLastUseAsync(Guid tokenId, DateTimeOffset now)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(Context.RequestAborted);
            await db.AccessTokens.Where(t => t.Id == tokenId)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);
        }
        catch (DbException ex)
        {
            LogLastUseNotRecorded(Logger, tokenId, ex.GetBaseException().Message);
        }
    }

    /// <summary>
    /// 401 with <c>WWW-Authenticate: Bearer</c>, naming the error when credentials were sent, and a problem body where
    /// one can be written. TryWriteAsync, not WriteAsync: a caller whose Accept leaves out JSON on a page's address
    /// (no writer takes it there) made WriteAsync throw, and the 401 a 500 with an empty body.
    /// </summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        if (result.Failure is null)
        {
            Response.Headers.WWWAuthenticate = "Bearer";
            return;
        }

        var error = result.Properties?.GetString(ErrorItem) ?? InvalidToken;
        Response.Headers.WWWAuthenticate = $"Bearer error=\"{error}\"";
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = StatusCodes.Status401Unauthorized, Title = "Invalid credentials", Detail = result.Failure.Message },
        });
    }

    private static AuthenticateResult Fail(string error, string detail) =>
        AuthenticateResult.Fail(detail, new AuthenticationProperties(new Dictionary<string, string?> { [ErrorItem] = error }));

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

        var claims = HubPrincipal.Claims(found.User);
        if (found.ExpiresAt is { } expiresAt)
        {
            // So that the token cannot mint tokens that outlive it (AccessTokenEndpoints).
            claims = claims.Append(new Claim(HubClaims.TokenExpiresAt, expiresAt.ToString("O", CultureInfo.InvariantCulture)));
        }
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, HubSchemes.AccessToken));
        return new TokenGrant(found.Id, found.Hash, found.ExpiresAt, principal) { LastUsedAt = found.LastUsedAt };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record the last use of access token {TokenId}; the request goes on: {Reason}")]
    private static partial void LogLastUseNotRecorded(ILogger logger, Guid tokenId, string reason);

    private sealed record TokenGrant(Guid TokenId, string Hash, DateTimeOffset? ExpiresAt, ClaimsPrincipal Principal)
    {
        public DateTimeOffset? LastUsedAt { get; set; }
    }
}
