namespace IntegrationHub.Identity;

/// <summary>A person who signs in to the hub. Belongs to one workspace.</summary>
internal sealed class User
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Email { get; set; }
    /// <summary>Upper-cased email, unique across the installation.</summary>
    public required string NormalizedEmail { get; set; }
    /// <summary>ASP.NET Core Identity's PBKDF2 hash; null for users that only sign in with Microsoft.</summary>
    public string? PasswordHash { get; set; }
    public UserRole Role { get; set; }
    /// <summary>May create workspaces and manage users in any of them.</summary>
    public bool IsInstallationAdmin { get; set; }
    public bool Disabled { get; set; }
    /// <summary>
    /// Changed when the user's browser sessions must end for good (disabling them); cookies carry the value they were
    /// issued with. Empty until the first change, which is also what cookies issued before it count as.
    /// </summary>
    public Guid SessionStamp { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
}
