namespace IntegrationHub.Runs;

/// <summary>
/// A run a worker claimed, the version its scenario had at that moment, and the error its previous attempt left (null
/// on a first attempt): the new attempt's log starts with it, since its outcome replaces the run's log and error.
/// </summary>
internal sealed record ClaimedRun(Run Run, int ScenarioVersion, string? PreviousError = null);
