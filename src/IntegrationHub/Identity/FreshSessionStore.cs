using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace IntegrationHub.Identity;

/// <summary>
/// The session store of <see cref="HubSchemes.NewSession"/>: <see cref="CookieSessionStore"/>, except that it finds no
/// session for the cookie a request came with. ASP.NET Core's cookie handler signs in into the session of the request's
/// cookie when it finds one (keeping its key); finding none, it stores a new session under a new key, which is what a
/// sign-in must do.
/// </summary>
internal sealed class FreshSessionStore(CookieSessionStore sessions) : ITicketStore
{
    public Task<string> StoreAsync(AuthenticationTicket ticket) => sessions.StoreAsync(ticket);

    public Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken) => sessions.StoreAsync(ticket, cancellationToken);

    public Task RenewAsync(string key, AuthenticationTicket ticket) => sessions.RenewAsync(key, ticket);

    public Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken) =>
        sessions.RenewAsync(key, ticket, cancellationToken);

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => Task.FromResult<AuthenticationTicket?>(null);

    public Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken) => RetrieveAsync(key);

    public Task RemoveAsync(string key) => sessions.RemoveAsync(key);

    public Task RemoveAsync(string key, CancellationToken cancellationToken) => sessions.RemoveAsync(key, cancellationToken);
}
