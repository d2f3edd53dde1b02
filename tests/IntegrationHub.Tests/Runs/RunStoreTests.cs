using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Tests.Runs;

/// <summary>
/// Claims, outcomes, backoff and lease expiry at the store, on a hub without workers, with time from a
/// <see cref="FakeTimeProvider"/> so backoff and expiry are shown without waiting for them.
/// </summary>
public sealed class RunStoreTests
{
    private const string Node = "node-a";

    [Theory, AllDatabases]
    public async Task Claim_RespectsMaxConcurrentRunsAndArrivalOrder(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var two = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxConcurrentRuns = 2);
        var one = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxConcurrentRuns = 1);
        var twoIds = new List<Guid>();
        var oneIds = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            twoIds.Add(await RunsTestData.EnqueueAsync(hub, two));
            oneIds.Add(await RunsTestData.EnqueueAsync(hub, one));
        }
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));

        var first = (await store.ClaimAsync(Node, time, 100, CancellationToken.None)).Select(c => c.Run.Id);
        var whileRunning = (await store.ClaimAsync(Node, time, 100, CancellationToken.None)).Select(c => c.Run.Id);
        await store.CompleteAsync(await RunsTestData.GetRunAsync(hub, twoIds[0]), Success(), Node, time.GetUtcNow(), CancellationToken.None);
        var afterOneEnded = (await store.ClaimAsync(Node, time, 100, CancellationToken.None)).Select(c => c.Run.Id);

        Assert.Equal([twoIds[0], oneIds[0], twoIds[1]], first);
        Assert.Empty(whileRunning);
        Assert.Equal([twoIds[2]], afterOneEnded);
    }

    [Theory, AllDatabases]
    public async Task LiveLog_IsWrittenWhileTheAttemptRuns_AndNeverOverTheLogOfItsOutcomeOrOfALaterAttempt(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxAttempts = 2);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        RunLogLine[] Lines(string message) => [new(time.GetUtcNow(), "info", message)];

        var first = Assert.Single(await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Run;
        Assert.Equal(0, await store.PublishLogsAsync("node-b", [new LiveRunLog(runId, 1, Lines("from a node that does not hold it"))], CancellationToken.None));
        Assert.Equal(1, await store.PublishLogsAsync(Node, [new LiveRunLog(runId, 1, Lines("reading the source"))], CancellationToken.None));
        Assert.Contains("reading the source", (await RunsTestData.GetRunAsync(hub, runId)).Log, StringComparison.Ordinal);

        // The first attempt fails and the second is claimed: a late write of the first attempt's log changes nothing.
        var failure = new RunOutcome(false, 0, 0, Lines("attempt 1 failed"), Error: "HTTP 503", Retryable: true);
        await store.CompleteAsync(first, failure, Node, time.GetUtcNow(), CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, Assert.Single(await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Run.Attempts);
        Assert.Equal(0, await store.PublishLogsAsync(Node, [new LiveRunLog(runId, 1, Lines("late line of attempt 1"))], CancellationToken.None));

        // Once the run ended, its outcome's log stays.
        await store.CompleteAsync(await RunsTestData.GetRunAsync(hub, runId), Success(), Node, time.GetUtcNow(), CancellationToken.None);
        Assert.Equal(0, await store.PublishLogsAsync(Node, [new LiveRunLog(runId, 2, Lines("late line of attempt 2"))], CancellationToken.None));
        var run = await RunsTestData.GetRunAsync(hub, runId);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.DoesNotContain("late line", run.Log, StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task RetryableFailure_IsRetriedWithDoublingBackoff_ThenFailed_AndCanBeResubmitted(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxAttempts = 3);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario, """{"Body":{"id":7}}""");
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        var failure = new RunOutcome(false, 1, 0, [new RunLogLine(time.GetUtcNow(), "error", "HTTP 503")], Error: "Target answered 503", Retryable: true);

        // Attempt 1 fails: back in the queue for the base delay (2 s). The claim hands the worker the run as stored.
        var claimed = Assert.Single(await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Run;
        Assert.Equal((runId, scenario.Id, """{"Body":{"id":7}}""", 1, 3, Node), (claimed.Id, claimed.ScenarioId, claimed.Payload, claimed.Attempts, claimed.MaxAttempts, claimed.LeaseOwner));
        Assert.Equal(RunStatus.Queued, await store.CompleteAsync(claimed, failure, Node, time.GetUtcNow(), CancellationToken.None));
        var afterFirst = await RunsTestData.GetRunAsync(hub, runId);
        Assert.Equal(time.GetUtcNow().AddSeconds(2), afterFirst.AvailableAt);
        Assert.Equal("Target answered 503", afterFirst.Error);
        time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Empty((await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Select(c => c.Run.Id));

        // Attempt 2 after the backoff, fails again: the wait doubles.
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal([runId], (await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Select(c => c.Run.Id));
        await store.CompleteAsync(await RunsTestData.GetRunAsync(hub, runId), failure, Node, time.GetUtcNow(), CancellationToken.None);
        Assert.Equal(time.GetUtcNow().AddSeconds(4), (await RunsTestData.GetRunAsync(hub, runId)).AvailableAt);

        // Attempt 3 is the last: the run fails for good.
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal([runId], (await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Select(c => c.Run.Id));
        Assert.Equal(RunStatus.Failed, await store.CompleteAsync(await RunsTestData.GetRunAsync(hub, runId), failure, Node, time.GetUtcNow(), CancellationToken.None));
        var failed = await RunsTestData.GetRunAsync(hub, runId);
        Assert.Equal(3, failed.Attempts);
        Assert.Equal(time.GetUtcNow(), failed.FinishedAt);

        // Resubmitted through the API: a new run with the same payload.
        using var client = hub.CreateAdminClient();
        var response = await client.PostAsync($"/api/v1/runs/{runId}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var retry = await response.Content.ReadFromJsonAsync<RunDetails>(TestJson.Options);
        Assert.NotNull(retry);
        Assert.NotEqual(runId, retry.Id);
        Assert.Equal(TriggerKind.Retry, retry.Trigger);
        Assert.Equal(runId, retry.RetryOf);
        Assert.Equal(RunStatus.Queued, retry.Status);
        Assert.Equal(7, retry.Payload!.Value.GetProperty("Body").GetProperty("id").GetInt32());
    }

    [Theory, AllDatabases]
    public async Task NonRetryableFailure_FailsAtOnceWithScriptPosition(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxAttempts = 3);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        var now = time.GetUtcNow();

        await store.ClaimAsync(Node, time, 10, CancellationToken.None);
        var status = await store.CompleteAsync(await RunsTestData.GetRunAsync(hub, runId),
            new RunOutcome(false, 0, 0, [], Error: "ReferenceError: x is not defined", ErrorLine: 3, ErrorColumn: 9), Node, now, CancellationToken.None);

        Assert.Equal(RunStatus.Failed, status);
        var run = await RunsTestData.GetRunAsync(hub, runId);
        Assert.Equal(1, run.Attempts);
        Assert.Equal((3, 9), (run.ErrorLine, run.ErrorColumn));
    }

    [Theory, AllDatabases]
    public async Task Complete_OneTransactionForSeveralRuns_CommitsEachSuccessStorageChanges_AndNoneOfAFailuresOrALostLeases(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxConcurrentRuns = 3);
        var storage = hub.Services.GetRequiredService<ScenarioStorage>();
        await storage.SetAsync(scenario.WorkspaceId, scenario.Id, "\"old\"", "0", null, CancellationToken.None);
        var ids = new[] { await RunsTestData.EnqueueAsync(hub, scenario), await RunsTestData.EnqueueAsync(hub, scenario), await RunsTestData.EnqueueAsync(hub, scenario) };
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(ids, (await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Select(c => c.Run.Id));
        var succeeded = new StorageChanges(maxKeys: 10);
        succeeded.Set("\"a\"", """{"n":1}""", null);
        succeeded.Delete("\"old\"");
        var failed = new StorageChanges(maxKeys: 10);
        failed.Set("\"from-failure\"", "1", null);
        var lost = new StorageChanges(maxKeys: 10);
        lost.Set("\"from-lost-lease\"", "1", null);

        var statuses = await store.CompleteAsync(
            [
                new RunCompletion(await RunsTestData.GetRunAsync(hub, ids[0]), Success() with { Storage = succeeded }, Node),
                new RunCompletion(await RunsTestData.GetRunAsync(hub, ids[1]), new RunOutcome(false, 0, 0, [], Error: "boom", Storage: failed), Node),
                new RunCompletion(await RunsTestData.GetRunAsync(hub, ids[2]), Success() with { Storage = lost }, "another-node"),
            ],
            time.GetUtcNow(), CancellationToken.None);

        Assert.Equal([RunStatus.Succeeded, RunStatus.Failed, null], statuses);
        var entries = await storage.ListAsync(scenario.Id, null, 0, 10, CancellationToken.None);
        var entry = Assert.Single(entries.Items);
        Assert.Equal(("\"a\"", """{"n":1}"""), (entry.Key, entry.Value));
        Assert.Equal(RunStatus.Running, (await RunsTestData.GetRunAsync(hub, ids[2])).Status);
    }

    [Theory, AllDatabases]
    public async Task Complete_AKeySeveralRunsOfTheGroupSet_HoldsTheValueOfTheRecordedRunWithTheGreatestId(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxConcurrentRuns = 3);
        var storage = hub.Services.GetRequiredService<ScenarioStorage>();
        await storage.SetAsync(scenario.WorkspaceId, scenario.Id, "\"replaced\"", "0", null, CancellationToken.None);
        var ids = new[] { await RunsTestData.EnqueueAsync(hub, scenario), await RunsTestData.EnqueueAsync(hub, scenario), await RunsTestData.EnqueueAsync(hub, scenario) };
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        await store.ClaimAsync(Node, time, 10, CancellationToken.None);
        // The order in which outcomes are written: by id as PostgreSQL sorts uuids.
        var (first, second, third) = ids.Order(Comparer<Guid>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()))).ToArray() switch
        {
            [var a, var b, var c] => (a, b, c),
            _ => throw new InvalidOperationException(),
        };
        var expiresAt = time.GetUtcNow().AddHours(1);
        var fromFirst = new StorageChanges(maxKeys: 10);
        fromFirst.Set("\"shared\"", "1", null);
        fromFirst.Set("\"replaced\"", "1", expiresAt);
        var fromSecond = new StorageChanges(maxKeys: 10);
        fromSecond.Set("\"shared\"", "2", null);
        var fromThird = new StorageChanges(maxKeys: 10);
        fromThird.Set("\"shared\"", "3", null);

        var statuses = await store.CompleteAsync(
            [
                new RunCompletion(await RunsTestData.GetRunAsync(hub, second), Success() with { Storage = fromSecond }, Node),
                new RunCompletion(await RunsTestData.GetRunAsync(hub, third), Success() with { Storage = fromThird }, "another-node"),
                new RunCompletion(await RunsTestData.GetRunAsync(hub, first), Success() with { Storage = fromFirst }, Node),
            ],
            time.GetUtcNow(), CancellationToken.None);

        Assert.Equal([RunStatus.Succeeded, null, RunStatus.Succeeded], statuses);
        var entries = (await storage.ListAsync(scenario.Id, null, 0, 10, CancellationToken.None)).Items;
        Assert.Equal(
            [("\"replaced\"", "1", expiresAt.UtcTicks), ("\"shared\"", "2", (long?)null)],
            entries.Select(e => (e.Key, e.Value, e.ExpiresAt?.UtcTicks)));
    }

    [Theory, AllDatabases]
    public async Task ExpiredLease_ReturnsRunToQueue_AndTheOldOwnerCanNoLongerRecord(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        await store.ClaimAsync("dead-node", time, 10, CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(29));
        var beforeExpiry = await store.SweepExpiredLeasesAsync(time.GetUtcNow(), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(2));
        var afterExpiry = await store.SweepExpiredLeasesAsync(time.GetUtcNow(), CancellationToken.None);
        var reclaimed = await store.ClaimAsync(Node, time, 10, CancellationToken.None);
        var lateRecord = await store.CompleteAsync(await RunsTestData.GetRunAsync(hub, runId), Success(), "dead-node", time.GetUtcNow(), CancellationToken.None);

        Assert.Equal(0, beforeExpiry.Count);
        Assert.Equal(1, afterExpiry.Count);
        Assert.Equal(["dead-node"], afterExpiry.Nodes);
        Assert.Equal([runId], reclaimed.Select(c => c.Run.Id));
        // The next attempt learns of the lost one, to begin its log with it: its outcome replaces the run's error.
        Assert.Equal(
            "The node running it (dead-node) stopped renewing its lease: it died, hung or lost its database; the run returned to the queue.",
            reclaimed[0].PreviousError);
        Assert.Null(lateRecord);
        var run = await RunsTestData.GetRunAsync(hub, runId);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal(Node, run.LeaseOwner);
        Assert.Equal(2, run.Attempts);
    }

    [Theory, AllDatabases]
    public async Task ExpiredLease_OnTheLastAttempt_FailsTheRun(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxAttempts = 1);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        var now = time.GetUtcNow();
        await store.ClaimAsync("dead-node", time, 10, CancellationToken.None);

        await store.SweepExpiredLeasesAsync(now.AddMinutes(1), CancellationToken.None);

        var run = await RunsTestData.GetRunAsync(hub, runId);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("dead-node", run.Error, StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task Renewal_ExtendsOnlyTheRunsTheNodeIsExecuting_SoARunWhoseOutcomeWasLostIsSwept(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxConcurrentRuns = 2);
        var executing = await RunsTestData.EnqueueAsync(hub, scenario);
        var orphaned = await RunsTestData.EnqueueAsync(hub, scenario);
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(2, (await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Count);

        time.Advance(TimeSpan.FromSeconds(20));
        var renewal = await store.RenewAsync(Node, [executing], time.GetUtcNow(), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(20));
        var swept = await store.SweepExpiredLeasesAsync(time.GetUtcNow(), CancellationToken.None);

        Assert.Equal([executing], renewal.Held);
        Assert.Equal(1, swept.Count);
        Assert.Equal(RunStatus.Running, (await RunsTestData.GetRunAsync(hub, executing)).Status);
        Assert.Equal(RunStatus.Queued, (await RunsTestData.GetRunAsync(hub, orphaned)).Status);
    }

    [Theory, AllDatabases]
    public async Task ExpiredLease_ReclaimedByTheSameNode_TheStaleAttemptCanNeitherRecordNorReleaseTheNewOne(DatabaseProvider provider)
    {
        // A node that stalled past its lease (a long GC pause, a suspended VM) may claim its own run again while its
        // first attempt still executes: both attempts are that node's, and only the second may end the run.
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        var stale = Assert.Single(await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Run;
        time.Advance(TimeSpan.FromSeconds(31));
        await store.SweepExpiredLeasesAsync(time.GetUtcNow(), CancellationToken.None);
        var current = Assert.Single(await store.ClaimAsync(Node, time, 10, CancellationToken.None)).Run;

        var staleRecord = await store.CompleteAsync(stale, Success(), Node, time.GetUtcNow(), CancellationToken.None);
        var staleRelease = await store.ReleaseAsync(stale, Node, time.GetUtcNow(), CancellationToken.None);
        var whileCurrentRuns = await RunsTestData.GetRunAsync(hub, runId);
        var currentRecord = await store.CompleteAsync(current, Success(), Node, time.GetUtcNow(), CancellationToken.None);

        Assert.Equal((1, 2), (stale.Attempts, current.Attempts));
        Assert.Null(staleRecord);
        Assert.False(staleRelease);
        Assert.Equal((RunStatus.Running, 2), (whileCurrentRuns.Status, whileCurrentRuns.Attempts));
        Assert.Equal(RunStatus.Succeeded, currentRecord);
    }

    [Theory, AllDatabases]
    public async Task Release_PutsTheRunBackWithoutCountingTheAttempt(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        var now = time.GetUtcNow();
        await store.ClaimAsync(Node, time, 10, CancellationToken.None);

        Assert.True(await store.ReleaseAsync(await RunsTestData.GetRunAsync(hub, runId), Node, now, CancellationToken.None));

        var run = await RunsTestData.GetRunAsync(hub, runId);
        Assert.Equal(RunStatus.Queued, run.Status);
        Assert.Equal(0, run.Attempts);
        Assert.Null(run.LeaseOwner);
    }

    [Fact]
    public void Backoff_DoublesFromTheBaseDelayUpToTheCap()
    {
        var delays = Enumerable.Range(1, 8).Select(a => RetryBackoff.Delay(a, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1)).TotalSeconds);

        Assert.Equal([2, 4, 8, 16, 32, 60, 60, 60], delays);
        Assert.Equal(TimeSpan.FromMinutes(1), RetryBackoff.Delay(int.MaxValue, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1)));
    }

    private static RunOutcome Success() => new(true, 0, 0, []);
}
