using IntegrationHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace IntegrationHub.Identity;

/// <summary>A token as lists show it: never the token, never its hash.</summary>
internal sealed record AccessTokenInfo(
    Guid Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt)
{
    internal static AccessTokenInfo From(AccessToken t) => new(t.Id, t.Name, t.Prefix, t.CreatedAt, t.LastUsedAt, t.ExpiresAt, t.RevokedAt);
}

/// <summary>A token just created: <see cref="Token"/> is shown this once and cannot be read again.</summary>
internal sealed record CreatedAccessToken(AccessTokenInfo Info, string Token);

/// <summary>A user's own personal access tokens: list, create, revoke, regenerate. Used by the API and the API Token page.</summary>
internal sealed class PersonalAccessTokens(HubDbContext db, IMemoryCache cache, TimeProvider time)
{
    public const int MaximumNameLength = 200;

    /// <summary>The longest lifetime a token may be given, in days (ten years); no expiry at all is allowed too.</summary>
    public const int MaximumExpiresInDays = 3650;

    /// <summary>The user's tokens, newest first, revoked ones included.</summary>
    public async Task<IReadOnlyList<AccessTokenInfo>> ListAsync(Guid userId, CancellationToken cancellationToken)
    {
        var tokens = await db.AccessTokens.AsNoTracking().Where(t => t.UserId == userId).ToListAsync(cancellationToken);
        return [.. tokens.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id).Select(AccessTokenInfo.From)];
    }

    /// <summary>Creates a token named <paramref name="name"/>, valid for <paramref name="expiresInDays"/> days or without expiry.</summary>
    /// <param name="notAfter">When the caller's own token expires: the new one may not expire later (or never). Null for the cookie.</param>
    public async Task<Outcome<CreatedAccessToken>> CreateAsync(
        Guid userId, string? name, int? expiresInDays, DateTimeOffset? notAfter, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > MaximumNameLength)
        {
            errors["name"] = [$"A name of 1 to {MaximumNameLength} characters is required, so you can tell your tokens apart."];
        }
        else if (await HasLiveTokenNamedAsync(userId, name.Trim(), now, cancellationToken))
        {
            errors["name"] = [$"You already have a token named “{name.Trim()}”: give this one another name, so you can tell them apart."];
        }
        if (expiresInDays is < 1 or > MaximumExpiresInDays)
        {
            errors["expiresInDays"] = [$"expiresInDays must be between 1 and {MaximumExpiresInDays}, or left out for no expiry."];
        }
        else if (notAfter is { } limit && OutlivesCaller(expiresInDays is { } wanted ? now.AddDays(wanted) : null, limit))
        {
            errors["expiresInDays"] = [OutlivesCallerMessage(now, limit)];
        }
        if (errors.Count > 0)
        {
            return IdentityError.Invalid(errors);
        }

        var created = Issue(userId, name!.Trim(), now, expiresInDays is { } days ? now.AddDays(days) : null);
        await db.SaveChangesAsync(cancellationToken);
        return created;
    }

    // Compared here, not in SQL: the user's tokens are few, and the two databases compare text by different rules.
    private async Task<bool> HasLiveTokenNamedAsync(Guid userId, string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var live = await db.AccessTokens.AsNoTracking()
            .Where(t => t.UserId == userId && t.RevokedAt == null)
            .Select(t => new { t.Name, t.ExpiresAt })
            .ToListAsync(cancellationToken);
        return live.Any(t => (t.ExpiresAt is null || t.ExpiresAt > now) && string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Revokes the token; requests with it get 401 from now on. Not found when it is not the user's.</summary>
    public async Task<Outcome<AccessTokenInfo>> RevokeAsync(Guid userId, Guid tokenId, CancellationToken cancellationToken)
    {
        var token = await db.AccessTokens.FirstOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, cancellationToken);
        if (token is null)
        {
            return NotFound();
        }

        if (token.RevokedAt is null)
        {
            token.RevokedAt = time.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
        }
        AccessTokenAuthenticationHandler.Evict(cache, token.Hash);
        return AccessTokenInfo.From(token);
    }

    /// <summary>One of the user's tokens; not found when it is not the user's.</summary>
    public async Task<Outcome<AccessTokenInfo>> GetAsync(Guid userId, Guid tokenId, CancellationToken cancellationToken)
    {
        var token = await db.AccessTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, cancellationToken);
        return token is null ? NotFound() : AccessTokenInfo.From(token);
    }

    /// <summary>
    /// Revokes the token and issues a new one with the same name and the same lifetime. A revoked token is a conflict:
    /// revoking is final, and regenerating it would bring back a credential someone chose to end.
    /// </summary>
    /// <param name="notAfter">When the caller's own token expires: the new one may not expire later (or never). Null for the cookie.</param>
    public async Task<Outcome<CreatedAccessToken>> RegenerateAsync(
        Guid userId, Guid tokenId, DateTimeOffset? notAfter, CancellationToken cancellationToken)
    {
        var old = await db.AccessTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, cancellationToken);
        if (old is null)
        {
            return NotFound();
        }
        if (old.RevokedAt is not null)
        {
            return Revoked();
        }

        var now = time.GetUtcNow();
        var expiresAt = old.ExpiresAt is { } expiry ? now + (expiry - old.CreatedAt) : (DateTimeOffset?)null;
        if (notAfter is { } limit && OutlivesCaller(expiresAt, limit))
        {
            return IdentityError.Invalid("expiresInDays", OutlivesCallerMessage(now, limit));
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Revoked only if still live: of two regenerations (or a regeneration and a revocation) at once, one finds it
        // revoked, so one token never becomes two live ones.
        var revoked = await db.AccessTokens.Where(t => t.Id == old.Id && t.RevokedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.RevokedAt, now), cancellationToken);
        if (revoked == 0)
        {
            return Revoked();
        }
        var created = Issue(userId, old.Name, now, expiresAt);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        AccessTokenAuthenticationHandler.Evict(cache, old.Hash);
        return created;
    }

    private CreatedAccessToken Issue(Guid userId, string name, DateTimeOffset now, DateTimeOffset? expiresAt)
    {
        var secret = AccessTokenFormat.Generate();
        var token = new AccessToken
        {
            UserId = userId,
            Name = name,
            Prefix = AccessTokenFormat.Prefix(secret),
            Hash = AccessTokenFormat.Hash(secret),
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
        db.AccessTokens.Add(token);
        return new CreatedAccessToken(AccessTokenInfo.From(token), secret);
    }

    private static bool OutlivesCaller(DateTimeOffset? expiresAt, DateTimeOffset callerExpiresAt) =>
        expiresAt is null || expiresAt > callerExpiresAt;

    private static string OutlivesCallerMessage(DateTimeOffset now, DateTimeOffset callerExpiresAt)
    {
        var days = (int)Math.Floor((callerExpiresAt - now).TotalDays);
        var limit = $"The token you are using expires at {callerExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC, and may not make a token that outlives it";
        return days >= 1
            ? $"{limit}: give expiresInDays of at most {days}, or sign in with your password to make a longer-lived one."
            : $"{limit}: it expires within a day, so sign in with your password to make a new one.";
    }

    private static IdentityError Revoked() => IdentityError.Conflict("This token is revoked and stays so; create a new token instead.");

    private static IdentityError NotFound() => IdentityError.NotFound("There is no such token among yours.");
}
