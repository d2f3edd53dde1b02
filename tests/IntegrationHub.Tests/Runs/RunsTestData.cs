using System.Diagnostics.Metrics;
using IntegrationHub.Data;
using IntegrationHub.Hosting;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Tests.Runs;

/// <summary>Scenarios and runs written straight to the database, so run tests do not depend on the scenarios API.</summary>
internal static class RunsTestData
{
    /// <summary>A hub that accepts runs but executes none: runs stay Queued for the test to inspect or claim itself.</summary>
    public static readonly Dictionary<string, string?> NoWorkers = new() { ["Runs:ExecuteRuns"] = "false" };

    public static async Task<Scenario> CreateScenarioAsync(HubHost hub, Action<Scenario>? configure = null, Guid? workspaceId = null)
    {
        await using var db = await CreateDbAsync(hub);
        var now = DateTimeOffset.UtcNow;
        var scenario = new Scenario
        {
            Name = "Scenario " + Guid.NewGuid().ToString("N")[..6],
            WorkspaceId = workspaceId ?? (await db.Workspaces.OrderBy(w => w.CreatedAt).FirstAsync()).Id,
            CreatedAt = now,
            UpdatedAt = now,
        };
        configure?.Invoke(scenario);
        db.Scenarios.Add(scenario);
        await db.SaveChangesAsync();
        return scenario;
    }

    public static NewRun ManualRun(Scenario scenario, string? payload = null, string? idempotencyKey = null) =>
        new(scenario.WorkspaceId, scenario.Id, TriggerKind.Manual, scenario.MaxAttempts, scenario.MaxQueuedRuns,
            Payload: payload, IdempotencyKey: idempotencyKey);

    public static async Task<Guid> EnqueueAsync(HubHost hub, Scenario scenario, string? payload = null)
    {
        var result = await hub.Services.GetRequiredService<RunQueue>().EnqueueAsync(ManualRun(scenario, payload), CancellationToken.None);
        return Assert.IsType<EnqueueResult.Queued>(result).RunId;
    }

    /// <summary>
    /// Adds runs of <paramref name="scenario"/> in <paramref name="statuses"/>, one each, queued a second apart in that
    /// order from a day ago (well within the retention), in one save; returns them, oldest first.
    /// </summary>
    public static async Task<List<Run>> AddRunsAsync(HubHost hub, Scenario scenario, IEnumerable<RunStatus> statuses)
    {
        // Whole seconds, which both databases store exactly.
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).AddDays(-1);
        List<Run> runs = [.. statuses.Select((status, i) => new Run
        {
            WorkspaceId = scenario.WorkspaceId,
            ScenarioId = scenario.Id,
            Status = status,
            Trigger = TriggerKind.Manual,
            QueuedAt = start.AddSeconds(i),
            AvailableAt = start.AddSeconds(i),
        })];
        await using var db = await CreateDbAsync(hub);
        db.Runs.AddRange(runs);
        await db.SaveChangesAsync();
        return runs;
    }

    public static async Task<Run> GetRunAsync(HubHost hub, Guid runId)
    {
        await using var db = await CreateDbAsync(hub);
        return await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
    }

    public static async Task<List<Run>> GetRunsAsync(HubHost hub, Guid scenarioId)
    {
        await using var db = await CreateDbAsync(hub);
        var runs = await db.Runs.AsNoTracking().Where(r => r.ScenarioId == scenarioId).ToListAsync();
        return [.. runs.OrderBy(r => r.QueuedAt).ThenBy(r => r.Id)];
    }

    /// <summary>Polls until every run of the scenario satisfies <paramref name="done"/>; returns them in arrival order.</summary>
    public static async Task<List<Run>> WaitForRunsAsync(HubHost hub, Guid scenarioId, int count, Func<Run, bool> done, int timeoutSeconds = 120)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var runs = await GetRunsAsync(hub, scenarioId);
            if ((runs.Count >= count && runs.All(done)) || DateTime.UtcNow > deadline)
            {
                return runs;
            }
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// A worker made of the hub's own services, for a hub started with <see cref="NoWorkers"/>: with
    /// <paramref name="options"/>, and a scenario cache that loads through <paramref name="loads"/>. Start and stop it.
    /// </summary>
    public static RunWorker CreateWorker(HubHost hub, IDbContextFactory<HubDbContext> loads, RunsOptions options)
    {
        var services = hub.Services;
        return new RunWorker(
            services.GetRequiredService<RunStore>(),
            services.GetRequiredService<RunCompleter>(),
            services.GetRequiredService<RunExecutor>(),
            new ScenarioSnapshots(loads, services.GetRequiredService<ScenarioSecrets>()),
            services.GetRequiredService<RunSignals>(),
            Options.Create(options),
            services.GetRequiredService<IOptions<HubOptions>>(),
            TimeProvider.System,
            services.GetRequiredService<IHostApplicationLifetime>(),
            services.GetRequiredService<IMeterFactory>(),
            services.GetRequiredService<ILogger<RunWorker>>());
    }

    public static Task<HubDbContext> CreateDbAsync(HubHost hub) =>
        hub.Services.GetRequiredService<IDbContextFactory<HubDbContext>>().CreateDbContextAsync();
}
