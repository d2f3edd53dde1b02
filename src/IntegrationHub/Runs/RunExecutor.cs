using IntegrationHub.Scenarios;

namespace IntegrationHub.Runs;

/// <summary>Executes one claimed run: reads the source (or the accepted request), runs the Source Script, writes the target.</summary>
public sealed class RunExecutor
{
    // Placeholder until the engine lands: succeeds with no records.
    public Task<RunOutcome> ExecuteAsync(Run run, Scenario scenario, CancellationToken cancellationToken) =>
        Task.FromResult(new RunOutcome(true, 0, 0, []));
}
