using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace IntegrationHub.Runs;

/// <summary>
/// The scenarios this node's runs start with, kept by version. A claim mostly starts runs of scenarios it saw
/// before, so it reads only their current versions (one small query) and loads a scenario again only after it
/// changed: every change bumps <see cref="Scenario.Version"/>. The instances are shared: nothing may modify them.
/// </summary>
internal sealed class ScenarioSnapshots(HubConnectionString connection, IDbContextFactory<HubDbContext> dbFactory) : IDisposable
{
    private static readonly MemoryCacheEntryOptions Entry = new() { Size = 1, SlidingExpiration = TimeSpan.FromHours(1) };

    private readonly MemoryCache _byId = new(new MemoryCacheOptions { SizeLimit = 1_000 });

    /// <summary>The current state of the scenarios <paramref name="ids"/>; a deleted one is missing.</summary>
    public async Task<Dictionary<Guid, Scenario>> GetAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        var current = new Dictionary<Guid, Scenario>(ids.Count);
        var changed = new List<Guid>();
        foreach (var (id, version) in await ReadVersionsAsync(ids, cancellationToken))
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
            foreach (var scenario in await db.Scenarios.AsNoTracking().Where(s => changed.Contains(s.Id)).ToListAsync(cancellationToken))
            {
                _byId.Set(scenario.Id, scenario, Entry);
                current[scenario.Id] = scenario;
            }
        }
        return current;
    }

    public void Dispose() => _byId.Dispose();

    private async Task<List<(Guid Id, int Version)>> ReadVersionsAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        await using var db = await HubSql.OpenAsync(connection, cancellationToken);
        await using var command = connection.Provider == DatabaseProvider.Postgres
            ? HubSql.Command(db, null, """SELECT "Id", "Version" FROM "Scenarios" WHERE "Id" = ANY(@ids)""")
            : HubSql.Command(db, null, $"""SELECT "Id", "Version" FROM "Scenarios" WHERE "Id" IN ({string.Join(", ", ids.Select((_, i) => $"@id{i}"))})""");
        if (connection.Provider == DatabaseProvider.Postgres)
        {
            command.Add("ids", ids.ToArray());
        }
        else
        {
            for (var i = 0; i < ids.Count; i++)
            {
                command.Add($"id{i}", ids[i]);
            }
        }

        var versions = new List<(Guid, int)>(ids.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add((HubSql.ReadGuid(reader, 0), reader.GetInt32(1)));
        }
        return versions;
    }
}
