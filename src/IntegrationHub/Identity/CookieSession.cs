namespace IntegrationHub.Identity;

/// <summary>
/// A browser's sign-in, kept on the server: the cookie carries only a key to it (<see cref="CookieSessionStore"/>).
/// Signing out deletes the row, so a copy of the cookie stops working too, on every node.
/// </summary>
internal sealed class CookieSession
{
    /// <summary>SHA-256 of the key in the cookie, lower-case hex: a copy of the database holds no usable session.</summary>
    public required string KeyHash { get; init; }
    /// <summary>The hub user signed in; null for a Microsoft sign-in without a hub user.</summary>
    public Guid? UserId { get; init; }
    /// <summary>ASP.NET Core's serialized authentication ticket: the principal and the cookie's properties.</summary>
    public required byte[] Ticket { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>When the cookie expires unless renewed (sliding expiration moves it); housekeeping deletes the row after.</summary>
    public DateTimeOffset ExpiresAt { get; set; }
}
