using System.Buffers.Text;
using System.Security.Cryptography;
using IntegrationHub.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Identity;

/// <summary>
/// Keeps browser sessions in the database (ASP.NET Core's cookie <see cref="CookieAuthenticationOptions.SessionStore"/>):
/// the cookie holds a random key, the ticket stays here. Signing out deletes the session, so the cookie, and any copy
/// of it, is worthless from then on, on every node sharing the database. A self-contained cookie would stay valid until
/// it expired (7 days), whatever its owner did.
/// </summary>
/// <remarks>
/// Read on every request that carries the cookie, not cached: a sign-out must hold on every node at once. It is one
/// lookup by primary key; tokens, the API's machine callers, do not come here.
/// </remarks>
internal sealed class CookieSessionStore(IDbContextFactory<HubDbContext> dbFactory, TimeProvider time) : ITicketStore
{
    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, CancellationToken.None);

    public async Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        var key = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.CookieSessions.Add(new CookieSession
        {
            KeyHash = Hash(key),
            UserId = HubCaller.From(ticket.Principal)?.UserId,
            Ticket = TicketSerializer.Default.Serialize(ticket),
            CreatedAt = time.GetUtcNow(),
            ExpiresAt = ExpiresAt(ticket),
        });
        await db.SaveChangesAsync(cancellationToken);
        return key;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewAsync(key, ticket, CancellationToken.None);

    public async Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        // An update, never an insert: a session signed out meanwhile (on another node, say) stays signed out.
        var hash = Hash(key);
        var serialized = TicketSerializer.Default.Serialize(ticket);
        var expiresAt = ExpiresAt(ticket);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.CookieSessions.Where(s => s.KeyHash == hash)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Ticket, serialized).SetProperty(x => x.ExpiresAt, expiresAt), cancellationToken);
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    public async Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken)
    {
        var hash = Hash(key);
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var ticket = await db.CookieSessions.AsNoTracking()
            .Where(s => s.KeyHash == hash && s.ExpiresAt > now)
            .Select(s => s.Ticket)
            .FirstOrDefaultAsync(cancellationToken);
        return ticket is null ? null : TicketSerializer.Default.Deserialize(ticket);
    }

    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    public async Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        // Not cancelled with the request: a browser that gives up waiting for its sign-out is still signed out.
        var hash = Hash(key);
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.CookieSessions.Where(s => s.KeyHash == hash).ExecuteDeleteAsync(CancellationToken.None);
    }

    private DateTimeOffset ExpiresAt(AuthenticationTicket ticket) =>
        ticket.Properties.ExpiresUtc ?? time.GetUtcNow() + IdentityExtensions.CookieLifetime;

    /// <summary>Kept as a personal access token is: its SHA-256.</summary>
    private static string Hash(string key) => AccessTokenFormat.Hash(key);
}
