namespace IntegrationHub.Runs;

/// <summary>A run a worker claimed, and the version its scenario had at that moment.</summary>
internal sealed record ClaimedRun(Run Run, int ScenarioVersion);
