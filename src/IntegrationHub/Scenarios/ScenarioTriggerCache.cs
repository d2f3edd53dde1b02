using IntegrationHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace IntegrationHub.Scenarios;

/// <summary>What the external API needs to know about a scenario to accept a trigger.</summary>
internal sealed record ScenarioTriggerSettings(
    Guid WorkspaceId,
    bool Enabled,
    bool EnableExternalTriggers,
    bool AllowAnonymousTriggers,
    int MaxQueuedRuns,
    int MaxAttempts,
    int Version)
{
    /// <summary>Callers without credentials may trigger and read storage only when both flags are set.</summary>
    public bool AllowsAnonymous => EnableExternalTriggers && AllowAnonymousTriggers;
}

/// <summary>
/// A cached view of each scenario's trigger settings, so accepting a trigger does not query the scenarios table.
/// Staleness: a save or delete on this node evicts the entry at once; on other nodes of a PostgreSQL cluster an
/// entry lives at most <see cref="Lifetime"/>, so for that long they may still accept triggers for a scenario just
/// disabled or deleted (a run for a deleted scenario is cascaded away with it) or refuse one just enabled.
/// Unknown ids are cached too, so a flood of triggers for a wrong id costs no database reads either.
/// </summary>
internal sealed class ScenarioTriggerCache(IDbContextFactory<HubDbContext> dbFactory, IMemoryCache cache)
{
    /// <summary>How long another node's change may go unnoticed here.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    /// <summary>The scenario's trigger settings, or null when there is no such scenario.</summary>
    public ValueTask<ScenarioTriggerSettings?> GetAsync(Guid scenarioId, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(new CacheKey(scenarioId), out ScenarioTriggerSettings? settings))
        {
            return ValueTask.FromResult(settings);
        }
        return new ValueTask<ScenarioTriggerSettings?>(LoadAsync(scenarioId, cancellationToken));
    }

    /// <summary>Forgets the scenario's entry; called after every save and delete on this node.</summary>
    public void Evict(Guid scenarioId) => cache.Remove(new CacheKey(scenarioId));

    private async Task<ScenarioTriggerSettings?> LoadAsync(Guid scenarioId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var settings = await db.Scenarios
            .Where(s => s.Id == scenarioId)
            .Select(s => new ScenarioTriggerSettings(
                s.WorkspaceId, s.Enabled, s.EnableExternalTriggers, s.AllowAnonymousTriggers, s.MaxQueuedRuns, s.MaxAttempts, s.Version))
            .FirstOrDefaultAsync(cancellationToken);
        cache.Set(new CacheKey(scenarioId), settings, Lifetime);
        return settings;
    }

    /// <summary>A key type of its own: no collision with other features' entries in the shared cache.</summary>
    private sealed record CacheKey(Guid ScenarioId);
}
