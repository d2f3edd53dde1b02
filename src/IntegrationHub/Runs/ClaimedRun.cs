namespace IntegrationHub.Runs;

/// <summary>
/// A run a worker claimed, the version its scenario had at that moment, and what its earlier attempts left (null on a
/// first attempt): the error the last one ended with and the run's log so far. The new attempt's log carries them on,
/// since its outcome replaces the run's log and error: the log of a run tells of every attempt.
/// </summary>
internal sealed record ClaimedRun(Run Run, int ScenarioVersion, string? PreviousError = null, string? PreviousLog = null);
