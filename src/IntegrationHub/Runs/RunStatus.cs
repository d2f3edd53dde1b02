namespace IntegrationHub.Runs;

/// <summary>Where a run is in its life. Stored by name.</summary>
public enum RunStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}
