using IntegrationHub.Data;
using IntegrationHub.Identity;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Runs;

/// <summary>
/// Runs a scenario now, or resubmits an ended run, for the caller's workspace: for the runs API and the pages alike, so
/// that the checks and the queue limit are the same from both. A scenario or run of another workspace reads as absent.
/// </summary>
internal sealed class RunRequests(HubDbContext db, RunQueue queue)
{
    /// <summary>Queues a manual run of the scenario.</summary>
    public async Task<RunRequestResult> RunNowAsync(Guid scenarioId, HubCaller caller, CancellationToken cancellationToken)
    {
        var scenario = await db.Scenarios.AsNoTracking()
            .Where(s => s.Id == scenarioId && s.WorkspaceId == caller.WorkspaceId)
            .Select(s => new { s.Id, s.WorkspaceId, s.MaxAttempts, s.MaxQueuedRuns })
            .FirstOrDefaultAsync(cancellationToken);
        if (scenario is null)
        {
            return new RunRequestResult.ScenarioNotFound(scenarioId);
        }

        var result = await queue.EnqueueAsync(
            new NewRun(scenario.WorkspaceId, scenario.Id, TriggerKind.Manual, scenario.MaxAttempts, scenario.MaxQueuedRuns, TriggeredBy: caller.UserId),
            cancellationToken);
        return await ReadBackAsync(result, scenario.Id, cancellationToken);
    }

    /// <summary>Queues an ended run again as a new run with the same payload.</summary>
    public async Task<RunRequestResult> RetryAsync(Guid runId, HubCaller caller, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId && r.WorkspaceId == caller.WorkspaceId, cancellationToken);
        if (run is null)
        {
            return new RunRequestResult.RunNotFound(runId);
        }
        if (run.Status is RunStatus.Queued or RunStatus.Running)
        {
            return new RunRequestResult.NotEnded(runId, run.Status);
        }
        var scenario = await db.Scenarios.AsNoTracking()
            .Where(s => s.Id == run.ScenarioId)
            .Select(s => new { s.MaxAttempts, s.MaxQueuedRuns })
            .FirstOrDefaultAsync(cancellationToken);
        if (scenario is null)
        {
            return new RunRequestResult.ScenarioNotFound(run.ScenarioId);
        }

        var result = await queue.EnqueueAsync(
            new NewRun(run.WorkspaceId, run.ScenarioId, TriggerKind.Retry, scenario.MaxAttempts, scenario.MaxQueuedRuns,
                Payload: run.Payload, TriggeredBy: caller.UserId, RetryOf: run.Id),
            cancellationToken);
        return await ReadBackAsync(result, run.ScenarioId, cancellationToken);
    }

    /// <summary>What an enqueue of a run of scenario <paramref name="scenarioId"/> comes to, with the queued run read back.</summary>
    internal async Task<RunRequestResult> ReadBackAsync(EnqueueResult result, Guid scenarioId, CancellationToken cancellationToken)
    {
        if (result is EnqueueResult.ScenarioGone gone)
        {
            return new RunRequestResult.ScenarioNotFound(gone.ScenarioId);
        }
        if (result.AcceptedRunId is not { } runId)
        {
            return new RunRequestResult.QueueFull();
        }
        // The scenario may be deleted between the enqueue's commit and this read; its delete cascades to its runs, so
        // the run is gone with it (this was a 500). It answers as if the delete had come first.
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        return run is null ? new RunRequestResult.ScenarioNotFound(scenarioId) : new RunRequestResult.Accepted(run);
    }
}
