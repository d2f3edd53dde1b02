namespace IntegrationHub.Identity;

/// <summary>What a user may do inside their workspace; each role includes the ones below it.</summary>
public enum UserRole
{
    /// <summary>Reads scenarios, runs and storage.</summary>
    Viewer = 0,
    /// <summary>Also triggers and retries runs.</summary>
    Operator = 1,
    /// <summary>Also creates and changes scenarios and storage.</summary>
    Editor = 2,
    /// <summary>Also manages the workspace's users.</summary>
    Admin = 3,
}
