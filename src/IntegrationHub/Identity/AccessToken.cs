namespace IntegrationHub.Identity;

/// <summary>
/// A personal access token. Only its SHA-256 hash is stored: the token itself is shown once at creation.
/// </summary>
internal sealed class AccessToken
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid UserId { get; init; }
    public required string Name { get; set; }
    /// <summary>The first characters of the token, shown in lists so a user can tell tokens apart.</summary>
    public required string Prefix { get; init; }
    /// <summary>SHA-256 of the whole token, lower-case hex.</summary>
    public required string Hash { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; set; }
}
