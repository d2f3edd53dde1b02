namespace IntegrationHub.Identity;

/// <summary>A tenant of the installation: scenarios, runs, storage and users belong to exactly one.</summary>
internal sealed class Workspace
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required string Name
    {
        get;
        set
        {
            field = value;
            NormalizedName = Normalize(value);
        }
    }

    /// <summary>The name as names are told apart, case-insensitively; a unique index keeps two workspaces from sharing it.</summary>
    public string NormalizedName { get; private set; } = "";

    public DateTimeOffset CreatedAt { get; init; }

    public static string Normalize(string name) => name.Trim().ToUpperInvariant();
}
