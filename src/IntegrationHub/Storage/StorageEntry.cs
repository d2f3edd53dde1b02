namespace IntegrationHub.Storage;

/// <summary>One value in a scenario's internal data storage, read back by <c>GetCacheData</c>.</summary>
internal sealed class StorageEntry
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; init; }
    public Guid ScenarioId { get; init; }
    /// <summary>The key as canonical JSON: sorted properties, no white space.</summary>
    public required string Key { get; init; }
    /// <summary>The value as JSON.</summary>
    public required string Value { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>After this moment the entry reads as absent and may be swept.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}
