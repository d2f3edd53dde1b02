using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace IntegrationHub.Runs;

/// <summary>
/// The scenarios this node's runs start with, kept by version. A claim returns the current version of each run's
/// scenario, and mostly starts runs of scenarios this node saw before, so a scenario is loaded again only after it
/// changed: every change bumps <see cref="Scenario.Version"/>. The instances are shared: nothing may modify them.
/// Their header values are decrypted when they are loaded, once per version, so a run costs no decryption and the
/// connectors get the values they send (<see cref="ScenarioSecrets"/>).
/// </summary>
internal sealed class ScenarioSnapshots(IDbContextFactory<HubDbContext> dbFactory, ScenarioSecrets secrets) : IDisposable
{
    private static readonly MemoryCacheEntryOptions Entry = new() { Size = 1, SlidingExpiration = TimeSpan.FromHours(1) };

    private readonly MemoryCache _byId = new(new MemoryCacheOptions { SizeLimit = 1_000 });

    /// <summary>The scenarios of <paramref name="versions"/> (id to the version a claim saw), as they are now; a
    /// deleted one is missing.</summary>
    public async Task<Dictionary<Guid, Scenario>> GetAsync(IReadOnlyDictionary<Guid, int> versions, CancellationToken cancellationToken)
    {
        var current = new Dictionary<Guid, Scenario>(versions.Count);
        var changed = new List<Guid>();
        foreach (var (id, version) in versions)
        {
            if (_byId.TryGetValue(id, out Scenario? known) && known!.Version == version)
            {
                current[id] = known;
            }
            else
            {
                changed.Add(id);
            }
        }

        if (changed.Count > 0)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            foreach (var loaded in await db.Scenarios.AsNoTracking().Where(s => changed.Contains(s.Id)).ToListAsync(cancellationToken))
            {
                var scenario = secrets.DecryptForRuns(loaded);
                _byId.Set(scenario.Id, scenario, Entry);
                current[scenario.Id] = scenario;
            }
        }
        return current;
    }

    public void Dispose() => _byId.Dispose();
}
