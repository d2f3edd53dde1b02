using IntegrationHub.Data;
using IntegrationHub.Housekeeping;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Scenarios;

/// <summary>
/// Reads, creates, replaces and deletes the caller's workspace's scenarios, for the API and the pages alike: validation,
/// header encryption, the concurrency retries and the trigger cache live here once, and each caller words the outcome.
/// Another workspace's scenario reads as absent, so that its id cannot be probed.
/// </summary>
internal sealed class ScenarioCommands(
    HubDbContext db, ScenarioSecrets secrets, ScenarioTriggerCache triggerCache, Housekeeper housekeeper,
    RunCancellation runCancellation, TimeProvider time)
{
    /// <summary>How often a replace reads the scenario again after losing a race with another save.</summary>
    private const int MaxSaveAttempts = 20;

    /// <summary>Attempts at deleting a scenario whose cascade met its runs' outcomes in a deadlock.</summary>
    private const int MaxDeleteAttempts = 5;

    /// <summary>The scenario, untracked, when it belongs to the caller's workspace.</summary>
    public Task<Scenario?> FindAsync(Guid id, HubCaller caller, CancellationToken cancellationToken) =>
        InCallersWorkspace(id, caller).AsNoTracking().FirstOrDefaultAsync(cancellationToken);

    /// <summary>Creates a scenario in the caller's workspace: <see cref="ScenarioSaveResult.Saved"/> or <see cref="ScenarioSaveResult.Invalid"/>.</summary>
    public async Task<ScenarioSaveResult> CreateAsync(ScenarioRequest request, HubCaller caller, CancellationToken cancellationToken)
    {
        var errors = ScenarioValidator.Validate(request, out var scriptError);
        if (errors.Count > 0)
        {
            return new ScenarioSaveResult.Invalid(errors, scriptError);
        }

        var now = time.GetUtcNow();
        var scenario = new Scenario { Name = "", WorkspaceId = caller.WorkspaceId, CreatedAt = now };
        ScenarioValidator.Apply(request, scenario, now);
        if (secrets.Encrypt(scenario, null, null) is { Count: > 0 } unreadable)
        {
            return new ScenarioSaveResult.Invalid(unreadable, null);
        }
        db.Scenarios.Add(scenario);
        await db.SaveChangesAsync(cancellationToken);
        // An unknown id may have been cached as absent by a trigger that came too early.
        triggerCache.Evict(scenario.Id);
        return new ScenarioSaveResult.Saved(scenario);
    }

    /// <summary>Replaces the scenario; with <see cref="ScenarioRequest.Version"/> set, only if nobody saved it since.</summary>
    public async Task<ScenarioSaveResult> ReplaceAsync(Guid id, ScenarioRequest request, HubCaller caller, CancellationToken cancellationToken)
    {
        var scenario = await FindTrackedAsync(id, caller, cancellationToken);
        if (scenario is null)
        {
            return new ScenarioSaveResult.NotFound();
        }

        var errors = ScenarioValidator.Validate(request, out var scriptError);
        if (errors.Count > 0)
        {
            return new ScenarioSaveResult.Invalid(errors, scriptError);
        }

        try
        {
            for (var attempt = 1; ; attempt++)
            {
                if (request.Version is { } expected && expected != scenario.Version)
                {
                    return new ScenarioSaveResult.StaleVersion(scenario.Version);
                }
                var (storedSource, storedTarget) = (scenario.Source.Headers, scenario.Target.Headers);
                ScenarioValidator.Apply(request, scenario, time.GetUtcNow());
                if (secrets.Encrypt(scenario, storedSource, storedTarget) is { Count: > 0 } unreadable)
                {
                    return new ScenarioSaveResult.Invalid(unreadable, null);
                }
                // Version is the concurrency token: a save that raced ours since we read it fails here instead of being overwritten.
                scenario.Version++;
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                    return new ScenarioSaveResult.Saved(scenario);
                }
                catch (DbUpdateConcurrencyException) when (attempt < MaxSaveAttempts)
                {
                    // Read it again: deleted meanwhile is not found; changed meanwhile is a stale version for a request that
                    // names the version it read, and without one the last save wins, ours applied on top of the other.
                    db.ChangeTracker.Clear();
                    scenario = await FindTrackedAsync(id, caller, cancellationToken);
                    if (scenario is null)
                    {
                        return new ScenarioSaveResult.NotFound();
                    }
                }
                catch (DbUpdateConcurrencyException)
                {
                    return new ScenarioSaveResult.Busy();
                }
            }
        }
        finally
        {
            triggerCache.Evict(id);
        }
    }

    /// <summary>Deletes the scenario with its runs and storage; false when the caller's workspace has no such scenario.</summary>
    public async Task<bool> DeleteAsync(Guid id, HubCaller caller, CancellationToken cancellationToken)
    {
        var scenario = InCallersWorkspace(id, caller);
        if (!await scenario.AnyAsync(cancellationToken))
        {
            return false;
        }
        // Once begun, the deletion is finished even if the caller goes away: a scenario is not left with half its history.
        await housekeeper.DeleteRunsOfScenarioAsync(id, CancellationToken.None);
        int deleted;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                deleted = await scenario.ExecuteDeleteAsync(CancellationToken.None);
                break;
            }
            catch (Exception ex) when (attempt < MaxDeleteAttempts && DatabaseErrors.Classify(ex) == DatabaseTrouble.Contended)
            {
                // The cascade to runs and storage deadlocked with runs of the scenario recording their outcomes (PostgreSQL
                // failed it to free them): those runs have ended now, so the delete goes again.
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), time, CancellationToken.None);
            }
        }
        triggerCache.Evict(id);
        // Its runs in flight went with it: stop them now, not at their node's next lease renewal (Runs/RunCancellation).
        await runCancellation.StopRunsOfDeletedScenarioAsync(id, CancellationToken.None);
        return deleted > 0;
    }

    private Task<Scenario?> FindTrackedAsync(Guid id, HubCaller caller, CancellationToken cancellationToken) =>
        InCallersWorkspace(id, caller).FirstOrDefaultAsync(cancellationToken);

    private IQueryable<Scenario> InCallersWorkspace(Guid id, HubCaller caller) =>
        db.Scenarios.Where(s => s.Id == id && s.WorkspaceId == caller.WorkspaceId);
}
