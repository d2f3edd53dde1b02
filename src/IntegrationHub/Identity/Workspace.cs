namespace IntegrationHub.Identity;

/// <summary>A tenant of the installation: scenarios, runs, storage and users belong to exactly one.</summary>
public sealed class Workspace
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
}
