using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Tests.Runs;

public sealed class RunSchedulerTests
{
    [Theory, AllDatabases]
    public async Task TwoNodes_EnqueueOneRunPerOccurrence_AndOnlyTheLatestMissedOne(DatabaseProvider provider)
    {
        // The hub's own scheduler is off: it would read the schedule by the real clock.
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Runs:ExecuteRuns"] = "false", ["Runs:RunSchedules"] = "false" });
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s =>
        {
            s.Cron = "0 9 * * *";
            s.TimeZone = "Europe/Berlin";
        });
        // Two schedulers on one database stand for two nodes; their clock is ours.
        var time = new FakeTimeProvider(new DateTimeOffset(2031, 1, 6, 7, 0, 0, TimeSpan.Zero));
        var nodeA = CreateScheduler(hub, time);
        var nodeB = CreateScheduler(hub, time);

        // First sight of the schedule: it only learns its next occurrence, 09:00 in Berlin = 08:00 UTC in winter.
        await Task.WhenAll(nodeA.TickAsync(CancellationToken.None), nodeB.TickAsync(CancellationToken.None));
        Assert.Equal(new DateTimeOffset(2031, 1, 6, 8, 0, 0, TimeSpan.Zero), await NextOccurrenceAsync(hub, scenario.Id));
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));

        time.Advance(TimeSpan.FromHours(1));
        var queued = await Task.WhenAll(nodeA.TickAsync(CancellationToken.None), nodeB.TickAsync(CancellationToken.None));
        await Task.WhenAll(nodeA.TickAsync(CancellationToken.None), nodeB.TickAsync(CancellationToken.None));

        var first = Assert.Single(await RunsTestData.GetRunsAsync(hub, scenario.Id));
        Assert.Equal(1, queued.Sum());
        Assert.Equal(TriggerKind.Schedule, first.Trigger);
        Assert.Equal(new DateTimeOffset(2031, 1, 6, 8, 0, 0, TimeSpan.Zero), first.ScheduledFor);

        // Down for three days: one run, for the latest occurrence.
        time.Advance(TimeSpan.FromDays(3) + TimeSpan.FromHours(2));
        await Task.WhenAll(nodeA.TickAsync(CancellationToken.None), nodeB.TickAsync(CancellationToken.None));

        var runs = await RunsTestData.GetRunsAsync(hub, scenario.Id);
        Assert.Equal(2, runs.Count);
        Assert.Equal(new DateTimeOffset(2031, 1, 9, 8, 0, 0, TimeSpan.Zero), runs[1].ScheduledFor);
        Assert.Equal(new DateTimeOffset(2031, 1, 10, 8, 0, 0, TimeSpan.Zero), await NextOccurrenceAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task ATickThatComesLate_RunsEveryOccurrenceSinceTheLastOne_DowntimeOnlyTheLatest(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Runs:ExecuteRuns"] = "false", ["Runs:RunSchedules"] = "false" });
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.Cron = "* * * * * *");
        var start = new DateTimeOffset(2031, 1, 6, 7, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        var scheduler = CreateScheduler(hub, time);
        await scheduler.TickAsync(CancellationToken.None);

        // A tick 2.5 s on instead of 1 s: the schedule of every second owes two runs, not one.
        time.Advance(TimeSpan.FromSeconds(2.5));
        Assert.Equal(2, await scheduler.TickAsync(CancellationToken.None));
        Assert.Equal(
            [start.AddSeconds(1), start.AddSeconds(2)],
            (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Select(r => r.ScheduledFor!.Value).Order());

        // Down for an hour: the 3,600 occurrences that fell meanwhile are one run.
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, await scheduler.TickAsync(CancellationToken.None));
        Assert.Equal(start.AddSeconds(3_602), (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Max(r => r.ScheduledFor));
    }

    [Theory, AllDatabases]
    public async Task Hub_RunsAScheduleWithSecondsOnItsOwn(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Runs:ScheduleInterval"] = "00:00:00.200" });
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.Cron = "* * * * * *");

        var runs = await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 2, r => r.Status == RunStatus.Succeeded);

        Assert.True(runs.Count >= 2);
        Assert.All(runs, r => Assert.Equal(TriggerKind.Schedule, r.Trigger));
        Assert.Equal(runs.Count, runs.Select(r => r.ScheduledFor).Distinct().Count());
    }

    [Fact]
    public void ResumingADisabledScenario_DoesNotOweTheOccurrencesThatFellMeanwhile()
    {
        var disabledAt = new DateTimeOffset(2031, 1, 6, 7, 0, 0, TimeSpan.Zero);
        var scenario = new Scenario { Name = "Nightly" };
        ScenarioValidator.Apply(new ScenarioRequest("Nightly", Enabled: false, Schedule: new ScheduleDto("0 2 * * *")), scenario, disabledAt);
        Assert.Equal(new DateTimeOffset(2031, 1, 7, 2, 0, 0, TimeSpan.Zero), scenario.NextOccurrenceAt);

        var resumedAt = disabledAt + TimeSpan.FromDays(2);
        ScenarioValidator.Apply(new ScenarioRequest("Nightly", Enabled: true, Schedule: new ScheduleDto("0 2 * * *")), scenario, resumedAt);

        // Not the 2:00 of January 7th, which fell while it was disabled and would have run at once.
        Assert.Equal(new DateTimeOffset(2031, 1, 9, 2, 0, 0, TimeSpan.Zero), scenario.NextOccurrenceAt);
    }

    [Fact]
    public async Task DatabaseOutage_LogsTheFirstFailureWithItsTrace_ThenAShortLineNowAndThen_AndTheRecovery()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["Runs:RunSchedules"] = "false" });
        var database = new SwitchableDatabase(hub.Services.GetRequiredService<IDbContextFactory<HubDbContext>>()) { Down = true };
        var time = new FakeTimeProvider();
        var log = new LogCapture();
        // The hub's own scheduler is off (above); this one is not.
        var options = Options.Create(new RunsOptions());
        using var scheduler = new RunScheduler(database, hub.Services.GetRequiredService<RunQueue>(), options, time, new StartedLifetime(), log.LoggerFor<RunScheduler>());
        await scheduler.StartAsync(CancellationToken.None);

        // Ten ticks in a row fail: once with the stack trace, then at the 2nd, 4th and 8th, in a line.
        await TickUntilAsync(() => database.Attempts >= 10);
        var failures = log.Entries;
        Assert.Equal(4, failures.Count);
        Assert.NotNull(failures[0].Exception);
        Assert.All(failures.Skip(1), entry => Assert.Null(entry.Exception));
        Assert.Equal(
            ["2 times in a row: database down", "4 times in a row: database down", "8 times in a row: database down"],
            failures.Skip(1).Select(entry => entry.Message[(entry.Message.IndexOf("failed ", StringComparison.Ordinal) + 7)..]));

        database.Down = false;
        await TickUntilAsync(() => log.Entries.Count > 4);
        Assert.Equal("Looking for due schedules works again, after 10 failures", log.Entries[4].Message);
        await scheduler.StopAsync(CancellationToken.None);

        async Task TickUntilAsync(Func<bool> condition)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!condition() && DateTime.UtcNow < deadline)
            {
                // The scheduler may not wait yet: advancing again does no harm.
                time.Advance(options.Value.ScheduleInterval);
                await Task.Delay(10);
            }
            Assert.True(condition());
        }
    }

    /// <summary>The hub's database, or none while <see cref="Down"/>.</summary>
    private sealed class SwitchableDatabase(IDbContextFactory<HubDbContext> inner) : IDbContextFactory<HubDbContext>
    {
        private int _attempts;

        public bool Down { get; set; }

        public int Attempts => Volatile.Read(ref _attempts);

        public HubDbContext CreateDbContext()
        {
            if (Down)
            {
                Interlocked.Increment(ref _attempts);
                throw new InvalidOperationException("database down");
            }
            return inner.CreateDbContext();
        }
    }

    private static RunScheduler CreateScheduler(HubHost hub, TimeProvider time) => new(
        hub.Services.GetRequiredService<IDbContextFactory<HubDbContext>>(),
        hub.Services.GetRequiredService<RunQueue>(),
        hub.Services.GetRequiredService<IOptions<RunsOptions>>(),
        time,
        new StartedLifetime(),
        NullLogger<RunScheduler>.Instance);

    private static async Task<DateTimeOffset?> NextOccurrenceAsync(HubHost hub, Guid scenarioId)
    {
        await using var db = await RunsTestData.CreateDbAsync(hub);
        return await db.Scenarios.Where(s => s.Id == scenarioId).Select(s => s.NextOccurrenceAt).SingleAsync();
    }
}
