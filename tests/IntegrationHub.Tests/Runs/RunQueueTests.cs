using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Tests.Runs;

public sealed class RunQueueTests
{
    [Theory, AllDatabases]
    public async Task Enqueue_RunsToSucceededOnce(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var queue = hub.Services.GetRequiredService<RunQueue>();

        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        var state = await queue.WaitForCompletionAsync(runId, TimeSpan.FromSeconds(60), CancellationToken.None);
        var run = await RunsTestData.GetRunAsync(hub, runId);

        Assert.Equal(RunStatus.Succeeded, state?.Status);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(TriggerKind.Manual, run.Trigger);
        Assert.Equal(1, run.Attempts);
        Assert.NotNull(run.StartedAt);
        Assert.NotNull(run.FinishedAt);
        Assert.Null(run.LeaseExpiresAt);
        Assert.StartsWith("[", run.Log, StringComparison.Ordinal); // the executor's log lines, as a JSON array
    }

    [Theory, AllDatabases]
    public async Task Enqueue_ReturnsOnlyAfterTheRunIsStored(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);

        var ids = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => RunsTestData.EnqueueAsync(hub, scenario, $"{{\"n\":{i}}}")));

        var runs = await RunsTestData.GetRunsAsync(hub, scenario.Id);
        Assert.Equal(ids.Order(), runs.Select(r => r.Id).Order());
        Assert.All(runs, r => Assert.Equal(RunStatus.Queued, r.Status));
        Assert.All(runs, r => Assert.Equal(scenario.MaxAttempts, r.MaxAttempts));
    }

    [Fact]
    public async Task Enqueue_OnPostgres_DoesNotWaitForARunsStorageWriteToTheSameScenario()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Postgres, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        // What a run's outcome holds while it writes storage entries: the key-share lock of their foreign key on the
        // scenario's row. An enqueue that waited for it could deadlock with that outcome (a scheduled occurrence that
        // two nodes enqueue waits on the occurrence's run in its ON CONFLICT).
        await using var db = await RunsTestData.CreateDbAsync(hub);
        await using var outcome = await db.Database.BeginTransactionAsync();
        await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "Scenarios" WHERE "Id" = {scenario.Id} FOR KEY SHARE""");

        // Keyed, as a scheduled occurrence is: such runs are checked against earlier ones under the scenario's lock.
        var enqueue = hub.Services.GetRequiredService<RunQueue>().EnqueueAsync(RunsTestData.ManualRun(scenario, idempotencyKey: "order-1"), CancellationToken.None);
        var finished = await Task.WhenAny(enqueue, Task.Delay(TimeSpan.FromSeconds(20))) == enqueue;
        await outcome.RollbackAsync();

        Assert.True(finished, "The enqueue waited for the transaction holding a key-share lock on its scenario.");
        Assert.IsType<EnqueueResult.Queued>(await enqueue);
    }

    [Theory, AllDatabases]
    public async Task Enqueue_NamesEachScenariosNewestRun_ItsLastRun_AsTheHistoryOrdersThem(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxQueuedRuns = 30);
        var other = await RunsTestData.CreateScenarioAsync(hub);
        var queue = hub.Services.GetRequiredService<RunQueue>();

        // Concurrent triggers of both scenarios share groups, and a group's runs share one QueuedAt.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => RunsTestData.EnqueueAsync(hub, i % 4 == 0 ? other : scenario)));
        Assert.Equal(await NewestRunAsync(hub, scenario.Id), await LastRunIdAsync(hub, scenario.Id));
        Assert.Equal(await NewestRunAsync(hub, other.Id), await LastRunIdAsync(hub, other.Id));

        // An Idempotency-Key takes PostgreSQL's other way in; its repetition and a full queue queue nothing.
        var keyed = Assert.IsType<EnqueueResult.Queued>(await queue.EnqueueAsync(RunsTestData.ManualRun(scenario, idempotencyKey: "order-7"), CancellationToken.None));
        Assert.Equal(keyed.RunId, await LastRunIdAsync(hub, scenario.Id));
        Assert.IsType<EnqueueResult.Duplicate>(await queue.EnqueueAsync(RunsTestData.ManualRun(scenario, idempotencyKey: "order-7"), CancellationToken.None));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => queue.EnqueueAsync(RunsTestData.ManualRun(scenario), CancellationToken.None)));
        var refused = await queue.EnqueueAsync(RunsTestData.ManualRun(scenario), CancellationToken.None);

        Assert.IsType<EnqueueResult.QueueFull>(refused);
        Assert.Equal(await NewestRunAsync(hub, scenario.Id), await LastRunIdAsync(hub, scenario.Id));
        Assert.Equal(await NewestRunAsync(hub, other.Id), await LastRunIdAsync(hub, other.Id));
    }

    private static async Task<Guid> NewestRunAsync(HubHost hub, Guid scenarioId)
    {
        await using var db = await RunsTestData.CreateDbAsync(hub);
        return await db.Runs.Where(r => r.ScenarioId == scenarioId).OrderByDescending(r => r.QueuedAt).ThenByDescending(r => r.Id).Select(r => r.Id).FirstAsync();
    }

    private static async Task<Guid?> LastRunIdAsync(HubHost hub, Guid scenarioId)
    {
        await using var db = await RunsTestData.CreateDbAsync(hub);
        return await db.Scenarios.Where(s => s.Id == scenarioId).Select(s => s.LastRunId).SingleAsync();
    }

    [Theory, AllDatabases]
    public async Task Enqueue_PastMaxQueuedRuns_ReturnsQueueFull(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxQueuedRuns = 3);
        var other = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxQueuedRuns = 3);
        var queue = hub.Services.GetRequiredService<RunQueue>();

        // Concurrent calls land in one group-commit batch: the limit must hold inside the batch too.
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => queue.EnqueueAsync(RunsTestData.ManualRun(scenario), CancellationToken.None)));
        var otherResult = await queue.EnqueueAsync(RunsTestData.ManualRun(other), CancellationToken.None);

        Assert.Equal(3, results.OfType<EnqueueResult.Queued>().Count());
        Assert.Equal(2, results.OfType<EnqueueResult.QueueFull>().Count());
        Assert.IsType<EnqueueResult.Queued>(otherResult);
        Assert.Equal(3, (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Count);
    }

    [Theory, AllDatabases]
    public async Task Enqueue_AfterQueuedRunsLeftTheQueue_AdmitsAgainUpToTheLimit(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxQueuedRuns = 2);
        var queue = hub.Services.GetRequiredService<RunQueue>();
        await RunsTestData.EnqueueAsync(hub, scenario);
        await RunsTestData.EnqueueAsync(hub, scenario);
        var whileFull = await queue.EnqueueAsync(RunsTestData.ManualRun(scenario), CancellationToken.None);

        await hub.Services.GetRequiredService<RunStore>().ClaimAsync("node-a", TimeProvider.System, 1, CancellationToken.None);
        var afterClaim = await queue.EnqueueAsync(RunsTestData.ManualRun(scenario), CancellationToken.None);
        var fullAgain = await queue.EnqueueAsync(RunsTestData.ManualRun(scenario), CancellationToken.None);

        Assert.IsType<EnqueueResult.QueueFull>(whileFull);
        Assert.IsType<EnqueueResult.Queued>(afterClaim);
        Assert.IsType<EnqueueResult.QueueFull>(fullAgain);
    }

    // The enqueue admits without counting while the scenario's queue bound vouches for the arrivals: a run that goes back
    // to the queue must raise that bound, or a later trigger would be admitted past the limit. Each case below leaves
    // the bound one run short if the way back does not raise it.
    [Theory, AllDatabases]
    public Task Enqueue_CountsARetryWaitingInTheQueue(DatabaseProvider provider) =>
        AssertARunPutBackCountsAsync(provider, async (store, run, time) =>
            Assert.Equal(RunStatus.Queued, await store.CompleteAsync(
                run, new RunOutcome(false, 0, 0, [], Error: "HTTP 503", Retryable: true), "node-a", time.GetUtcNow(), CancellationToken.None)));

    [Theory, AllDatabases]
    public Task Enqueue_CountsARunReleasedByAStoppingNode(DatabaseProvider provider) =>
        AssertARunPutBackCountsAsync(provider, async (store, run, time) =>
            Assert.True(await store.ReleaseAsync(run, "node-a", time.GetUtcNow(), CancellationToken.None)));

    [Theory, AllDatabases]
    public Task Enqueue_CountsARunWhoseLeaseExpired(DatabaseProvider provider) =>
        AssertARunPutBackCountsAsync(provider, async (store, run, time) =>
            Assert.Equal(1, (await store.SweepExpiredLeasesAsync(time.GetUtcNow().AddMinutes(10), CancellationToken.None)).Count));

    private static async Task AssertARunPutBackCountsAsync(DatabaseProvider provider, Func<RunStore, Run, FakeTimeProvider, Task> putBack)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxAttempts = 3);
        var queue = hub.Services.GetRequiredService<RunQueue>();
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        // The limit travels with each trigger, so the test can move it between triggers.
        Task<EnqueueResult> EnqueueAsync(int maxQueuedRuns) =>
            queue.EnqueueAsync(RunsTestData.ManualRun(scenario) with { MaxQueuedRuns = maxQueuedRuns }, CancellationToken.None);

        Assert.IsType<EnqueueResult.Queued>(await EnqueueAsync(1));
        var running = Assert.Single(await store.ClaimAsync("node-a", time, 10, CancellationToken.None)).Run;
        Assert.IsType<EnqueueResult.Queued>(await EnqueueAsync(1)); // counted: one queued, one running
        await putBack(store, running, time);                         // two queued

        Assert.IsType<EnqueueResult.QueueFull>(await EnqueueAsync(2));
        Assert.Equal(2, (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Count(r => r.Status == RunStatus.Queued));
    }

    [Theory, AllDatabases]
    public async Task Enqueue_GroupMixingKeyedAndPlainTriggers_AnswersEachCallerWithItsOwnRun(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var queue = hub.Services.GetRequiredService<RunQueue>();

        // On PostgreSQL the plain triggers take the one-round-trip path and the keyed ones the full path; each caller
        // must still get the answer for its own trigger.
        var triggers = Enumerable.Range(0, 12).Select(i => (Payload: $"{{\"n\":{i}}}", Key: i % 3 == 0 ? "order-7" : null)).ToList();
        var results = await Task.WhenAll(triggers.Select(t =>
            queue.EnqueueAsync(RunsTestData.ManualRun(scenario, t.Payload, t.Key), CancellationToken.None)));

        var runs = (await RunsTestData.GetRunsAsync(hub, scenario.Id)).ToDictionary(r => r.Id);
        var keyed = triggers.Select((t, i) => (t.Key, results[i].AcceptedRunId)).Where(k => k.Key is not null).Select(k => k.AcceptedRunId).Distinct().ToList();
        var keyedRun = Assert.Single(keyed)!.Value;
        Assert.Equal(9, runs.Count); // 8 plain triggers and the first of the keyed ones
        for (var i = 0; i < triggers.Count; i++)
        {
            if (triggers[i].Key is null)
            {
                // The runs of a group are inserted row after row: none may keep a value of the row before it.
                var run = runs[Assert.IsType<EnqueueResult.Queued>(results[i]).RunId];
                Assert.Equal(triggers[i].Payload, run.Payload);
                Assert.Null(run.IdempotencyKey);
            }
        }
        Assert.Equal("order-7", runs[keyedRun].IdempotencyKey);
    }

    [Theory, AllDatabases]
    public async Task Enqueue_WithRepeatedIdempotencyKey_ReturnsTheFirstRun(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var other = await RunsTestData.CreateScenarioAsync(hub);
        var queue = hub.Services.GetRequiredService<RunQueue>();

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            queue.EnqueueAsync(RunsTestData.ManualRun(scenario, idempotencyKey: "order-42"), CancellationToken.None)));
        var later = await queue.EnqueueAsync(RunsTestData.ManualRun(scenario, idempotencyKey: "order-42"), CancellationToken.None);
        var otherKey = await queue.EnqueueAsync(RunsTestData.ManualRun(scenario, idempotencyKey: "order-43"), CancellationToken.None);
        var otherScenario = await queue.EnqueueAsync(RunsTestData.ManualRun(other, idempotencyKey: "order-42"), CancellationToken.None);

        var first = Assert.Single(concurrent.OfType<EnqueueResult.Queued>()).RunId;
        Assert.All(concurrent.OfType<EnqueueResult.Duplicate>(), d => Assert.Equal(first, d.RunId));
        Assert.Equal(new EnqueueResult.Duplicate(first), later);
        Assert.IsType<EnqueueResult.Queued>(otherKey);
        Assert.IsType<EnqueueResult.Queued>(otherScenario);
        Assert.Equal(2, (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Count);
    }

    [Theory, AllDatabases]
    public async Task IdempotencyKey_IsRememberedFor24Hours_ThenTheSameKeyQueuesANewRun(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var queue = hub.Services.GetRequiredService<RunQueue>();
        Task<EnqueueResult> TriggerAsync() => queue.EnqueueAsync(RunsTestData.ManualRun(scenario, idempotencyKey: "order-7"), CancellationToken.None);

        var first = Assert.IsType<EnqueueResult.Queued>(await TriggerAsync()).RunId;
        await QueuedAgoAsync(hub, first, TimeSpan.FromHours(23));
        var within = await TriggerAsync();
        await QueuedAgoAsync(hub, first, TimeSpan.FromHours(25));
        var after = await TriggerAsync();

        Assert.Equal(new EnqueueResult.Duplicate(first), within);
        Assert.NotEqual(first, Assert.IsType<EnqueueResult.Queued>(after).RunId);
        Assert.Equal(2, (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Count);
    }

    private static async Task QueuedAgoAsync(HubHost hub, Guid runId, TimeSpan ago)
    {
        await using var db = await RunsTestData.CreateDbAsync(hub);
        var queuedAt = DateTimeOffset.UtcNow - ago;
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(r => r.SetProperty(x => x.QueuedAt, queuedAt));
    }
}
