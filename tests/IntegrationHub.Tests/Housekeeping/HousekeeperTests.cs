using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using IntegrationHub.Data;
using IntegrationHub.Housekeeping;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Tests.Housekeeping;

/// <summary>
/// The sweep deletes ended runs past their retention, expired storage entries and browser sessions, and nothing else, on both databases.
/// The tests sweep as of a later moment instead of waiting for it; batches of two make every sweep take several.
/// </summary>
public sealed class HousekeeperTests
{
    private const string Node = "node-a";

    private static readonly Dictionary<string, string?> Settings = new(RunsTestData.NoWorkers)
    {
        ["Housekeeping:RunRetention"] = "7.00:00:00",
        ["Housekeeping:BatchSize"] = "2",
    };

    [Fact]
    public async Task FailingSweeps_LogTheFirstWithItsTrace_ThenAShortLineNowAndThen()
    {
        // Not a database: every sweep fails, as during an outage.
        var file = Path.Combine(Path.GetTempPath(), "hub-not-a-db-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(file, new string('x', 8192));
        var connection = new HubConnectionString(DatabaseProvider.Sqlite, $"Data Source={file};Pooling=False");
        var options = Microsoft.Extensions.Options.Options.Create(new HousekeepingOptions());
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var housekeeper = new Housekeeper(connection, new SqliteWriteGate(connection, meters.GetRequiredService<IMeterFactory>()), options, meters.GetRequiredService<IMeterFactory>());
        var time = new FakeTimeProvider();
        var log = new LogCapture();
        using var service = new HousekeepingService(housekeeper, options, time, new StartedLifetime(), log.LoggerFor<HousekeepingService>());
        try
        {
            await service.StartAsync(CancellationToken.None);
            await SweepUntilAsync(() => log.Entries.Any(e => e.Message.Contains("failed 8 times in a row", StringComparison.Ordinal)));
            await service.StopAsync(CancellationToken.None);

            var failures = log.Entries.TakeWhile(e => !e.Message.Contains("failed 16 times", StringComparison.Ordinal)).ToList();
            Assert.Equal(4, failures.Count);
            Assert.NotNull(failures[0].Exception);
            Assert.All(failures.Skip(1), entry => Assert.Null(entry.Exception));
            Assert.Equal(["2 times", "4 times", "8 times"], failures.Skip(1).Select(e => e.Message.Split("failed ")[1].Split(" in a row")[0]));
        }
        finally
        {
            File.Delete(file);
        }

        async Task SweepUntilAsync(Func<bool> condition)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!condition() && DateTime.UtcNow < deadline)
            {
                // The service may not wait yet: advancing again does no harm.
                time.Advance(options.Value.Interval);
                await Task.Delay(10);
            }
            Assert.True(condition());
        }
    }

    [Theory, AllDatabases]
    public async Task EndedRunsPastTheirRetention_AreDeletedInEveryWorkspace_WhileQueuedAndRunningRunsStay(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var other = await RunsTestData.CreateScenarioAsync(hub, workspaceId: await CreateWorkspaceAsync(hub));
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));

        var succeeded = await RunsTestData.EnqueueAsync(hub, scenario);
        var failed = await RunsTestData.EnqueueAsync(hub, scenario);
        var running = await RunsTestData.EnqueueAsync(hub, scenario);
        var queued = await RunsTestData.EnqueueAsync(hub, scenario);
        var cancelled = await RunsTestData.EnqueueAsync(hub, scenario);
        var otherSucceeded = await RunsTestData.EnqueueAsync(hub, other);
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            await db.Runs.Where(r => r.Id == cancelled).ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Cancelled));
        }
        // One run at a time per scenario (MaxConcurrentRuns 1), so the claims take the runs in the order above.
        foreach (var claimed in await store.ClaimAsync(Node, time, 10, CancellationToken.None))
        {
            await store.CompleteAsync(claimed.Run, new RunOutcome(true, 0, 0, []), Node, time.GetUtcNow(), CancellationToken.None);
        }
        var second = Assert.Single(await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Run;
        await store.CompleteAsync(second, new RunOutcome(false, 0, 0, [], Error: "bad record"), Node, time.GetUtcNow(), CancellationToken.None);
        Assert.Equal(running, Assert.Single(await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Run.Id);
        var housekeeper = hub.Services.GetRequiredService<Housekeeper>();
        using var deleted = new DeletedRows(hub);

        var withinRetention = await housekeeper.SweepAsync(time.GetUtcNow().AddDays(7).AddMinutes(-1), CancellationToken.None);
        var pastRetention = await housekeeper.SweepAsync(time.GetUtcNow().AddDays(7).AddMinutes(1), CancellationToken.None);

        Assert.Equal(new SweepResult(0, 0, 0), withinRetention);
        Assert.Equal(new SweepResult(4, 0, 0), pastRetention);
        Assert.Equal(4, deleted.Of("runs"));
        await using var after = await RunsTestData.CreateDbAsync(hub);
        var left = await after.Runs.Select(r => r.Id).ToListAsync();
        Assert.Equal(new[] { queued, running }.Order(), left.Order());
        Assert.DoesNotContain(succeeded, left);
        Assert.DoesNotContain(failed, left);
        Assert.DoesNotContain(otherSucceeded, left);
    }

    [Theory, AllDatabases]
    public async Task ExpiredStorageEntries_AreDeleted_WhileLiveOnesStay(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var now = DateTimeOffset.UtcNow;
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            StorageEntry Entry(string key, DateTimeOffset? expiresAt) => new()
            {
                WorkspaceId = scenario.WorkspaceId, ScenarioId = scenario.Id, Key = key, Value = "1", UpdatedAt = now, ExpiresAt = expiresAt,
            };
            db.StorageEntries.AddRange(
                Entry("\"in an hour\"", now.AddHours(1)), Entry("\"in 61 minutes\"", now.AddMinutes(61)),
                Entry("\"in 62 minutes\"", now.AddMinutes(62)), Entry("\"in a day\"", now.AddDays(1)), Entry("\"forever\"", null));
            await db.SaveChangesAsync();
        }

        using var deleted = new DeletedRows(hub);

        var swept = await hub.Services.GetRequiredService<Housekeeper>().SweepAsync(now.AddMinutes(90), CancellationToken.None);

        Assert.Equal(new SweepResult(0, 3, 0), swept);
        Assert.Equal(3, deleted.Of("storage_entries"));
        await using var after = await RunsTestData.CreateDbAsync(hub);
        Assert.Equal(["\"forever\"", "\"in a day\""], (await after.StorageEntries.Select(e => e.Key).ToListAsync()).Order());
    }

    [Theory, AllDatabases]
    public async Task ExpiredBrowserSessions_AreDeleted_WhileLiveOnesStay(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 3; i++)
        {
            await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        }
        var renewed = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            // As sliding expiration does for a browser that keeps using the hub.
            var newest = await db.CookieSessions.OrderByDescending(s => s.CreatedAt).Select(s => s.KeyHash).FirstAsync();
            await db.CookieSessions.Where(s => s.KeyHash == newest).ExecuteUpdateAsync(u => u.SetProperty(s => s.ExpiresAt, now.AddDays(30)));
        }
        var housekeeper = hub.Services.GetRequiredService<Housekeeper>();

        var beforeExpiry = await housekeeper.SweepAsync(now.AddDays(6), CancellationToken.None);
        var afterExpiry = await housekeeper.SweepAsync(now.AddDays(8), CancellationToken.None);

        Assert.Equal(new SweepResult(0, 0, 0), beforeExpiry);
        Assert.Equal(new SweepResult(0, 0, 3), afterExpiry);
        using var browser = hub.CreateCookieClient(renewed);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task OnPostgres_ASweepPassesOverARowAnotherTransactionHolds_InsteadOfWaitingForIt()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Postgres, Settings);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var now = DateTimeOffset.UtcNow;
        await using var db = await RunsTestData.CreateDbAsync(hub);
        var held = new StorageEntry { WorkspaceId = scenario.WorkspaceId, ScenarioId = scenario.Id, Key = "\"held\"", Value = "1", UpdatedAt = now, ExpiresAt = now };
        var free = new StorageEntry { WorkspaceId = scenario.WorkspaceId, ScenarioId = scenario.Id, Key = "\"free\"", Value = "1", UpdatedAt = now, ExpiresAt = now };
        db.StorageEntries.AddRange(held, free);
        await db.SaveChangesAsync();
        var housekeeper = hub.Services.GetRequiredService<Housekeeper>();

        // As a run's outcome would while it writes that key again.
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await db.StorageEntries.Where(e => e.Id == held.Id).ExecuteUpdateAsync(u => u.SetProperty(e => e.Value, "2"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

            Assert.Equal(new SweepResult(0, 1, 0), await housekeeper.SweepAsync(now.AddMinutes(1), timeout.Token));
            await transaction.RollbackAsync();
        }
        Assert.Equal(new SweepResult(0, 1, 0), await housekeeper.SweepAsync(now.AddMinutes(1), CancellationToken.None));
    }

    /// <summary>The <c>integrationhub.housekeeping.deleted</c> counter of one hub (its meter factory), by <c>kind</c>.</summary>
    private sealed class DeletedRows : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _byKind = new();

        public DeletedRows(HubHost hub)
        {
            var meters = hub.Services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "integrationhub.housekeeping.deleted" && instrument.Meter.Scope == meters)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "kind")
                    {
                        _byKind.AddOrUpdate((string)tag.Value!, value, (_, total) => total + value);
                    }
                }
            });
            _listener.Start();
        }

        public long Of(string kind) => _byKind.GetValueOrDefault(kind);

        public void Dispose() => _listener.Dispose();
    }

    private static async Task<Guid> CreateWorkspaceAsync(HubHost hub)
    {
        await using var db = await RunsTestData.CreateDbAsync(hub);
        var workspace = new Workspace { Name = "Other", CreatedAt = DateTimeOffset.UtcNow };
        db.Workspaces.Add(workspace);
        await db.SaveChangesAsync();
        return workspace.Id;
    }
}
