using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Connectors;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Tests.Runs;

/// <summary>Cancelling a run that is already executing: through the API, on another node, and when a node misses the request.</summary>
public sealed class RunCancellationTests
{
    [Theory, AllDatabases]
    public async Task Cancel_OfARunningRun_StopsIt_DropsItsStorageChanges_AndTheScenarioRunsItsNextRun(DatabaseProvider provider)
    {
        await using var target = await HangingTargetAsync();
        // Renewals every 200 s: within the test's wait the run can only be stopped at once.
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Runs:LeaseDuration"] = "00:10:00" });
        var scenario = await CreateScenarioAsync(hub, target);
        using var admin = hub.CreateAdminClient();
        var first = await RunsTestData.EnqueueAsync(hub, scenario);
        await WaitForAsync(hub, first, RunStatus.Running);
        var second = await RunsTestData.EnqueueAsync(hub, scenario);

        var cancel = await admin.PostAsync($"/api/v1/runs/{first}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var answered = (await cancel.Content.ReadFromJsonAsync<RunDetails>(TestJson.Options))!;
        Assert.Equal(RunStatus.Running, answered.Status);
        Assert.NotNull(answered.CancelRequestedAt);
        var cancelled = await WaitForAsync(hub, first, RunStatus.Cancelled, timeoutSeconds: 60);
        Assert.Equal("Cancelled on request while running.", cancelled.Error);
        Assert.NotNull(cancelled.FinishedAt);
        Assert.Equal(1, cancelled.Attempts);
        // The slot it held is free: the next run of the scenario (one at a time) runs, and its target answers.
        Assert.Equal(RunStatus.Succeeded, (await WaitForAsync(hub, second, RunStatus.Succeeded)).Status);
        var stored = await hub.Services.GetRequiredService<ScenarioStorage>().GetAsync(scenario.Id, $"\"{first}\"", CancellationToken.None);
        Assert.Null(stored);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync($"/api/v1/runs/{first}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Cancel_ThroughAnotherNode_StopsTheRunAtOnce_NotAtTheNextLeaseRenewal()
    {
        await using var target = await HangingTargetAsync();
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        // Renewals every 200 s: within the test's wait only the notification can reach the executing node.
        await using var executing = HubHost.Start(database, new Dictionary<string, string?> { ["Runs:LeaseDuration"] = "00:10:00" });
        await using var other = HubHost.Start(database, RunsTestData.NoWorkers);
        var scenario = await CreateScenarioAsync(executing, target);
        var runId = await RunsTestData.EnqueueAsync(executing, scenario);
        await WaitForAsync(executing, runId, RunStatus.Running);
        using var admin = other.CreateAdminClient();

        var cancel = await admin.PostAsync($"/api/v1/runs/{runId}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal(RunStatus.Cancelled, (await WaitForAsync(other, runId, RunStatus.Cancelled, timeoutSeconds: 60)).Status);
    }

    [Theory, AllDatabases]
    public async Task CancelRequest_ANodeDidNotHearOf_StopsTheRunAtItsNextLeaseRenewal(DatabaseProvider provider)
    {
        await using var target = await HangingTargetAsync();
        // Renewals every second.
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Runs:LeaseDuration"] = "00:00:03" });
        var scenario = await CreateScenarioAsync(hub, target);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        await WaitForAsync(hub, runId, RunStatus.Running);

        // Written as another node would, without the notification: the executing node learns of it from its renewal.
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.CancelRequestedAt, DateTimeOffset.UtcNow));
        }

        Assert.Equal(RunStatus.Cancelled, (await WaitForAsync(hub, runId, RunStatus.Cancelled, timeoutSeconds: 60)).Status);
    }

    // The delete answered 204 and the run 404, yet it went on calling its target until its next lease renewal.
    [Theory, AllDatabases]
    public async Task DeletingTheScenario_StopsItsRunningRunAtOnce_SoItsTargetHearsNoMore(DatabaseProvider provider)
    {
        var target = await TargetThatHoldsItsFirstRequestAsync();
        await using var server = target.Server;
        // Renewals every 200 s and attempts of 5 min: within the test's wait only the delete can stop the run.
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?>
        {
            ["Runs:LeaseDuration"] = "00:10:00",
            ["Connectors:HttpAttemptTimeout"] = "00:05:00",
        });
        var scenario = await CreateScenarioAsync(hub, server, records: 3);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        await target.FirstRequest.WaitAsync(TimeSpan.FromSeconds(60));
        using var admin = hub.CreateAdminClient();

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/scenarios/{scenario.Id}")).StatusCode);

        await target.FirstRequestAborted.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/runs/{runId}")).StatusCode);
        // The records after the first are not sent: the run is over, not merely its request.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task DeletingTheScenarioThroughAnotherNode_StopsItsRunAtOnce_NotAtTheNextLeaseRenewal()
    {
        var target = await TargetThatHoldsItsFirstRequestAsync();
        await using var server = target.Server;
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        // Renewals every 200 s: within the test's wait only the notification can reach the executing node.
        await using var executing = HubHost.Start(database, new Dictionary<string, string?>
        {
            ["Runs:LeaseDuration"] = "00:10:00",
            ["Connectors:HttpAttemptTimeout"] = "00:05:00",
        });
        await using var other = HubHost.Start(database, RunsTestData.NoWorkers);
        var scenario = await CreateScenarioAsync(executing, server, records: 3);
        await RunsTestData.EnqueueAsync(executing, scenario);
        await target.FirstRequest.WaitAsync(TimeSpan.FromSeconds(60));
        using var admin = other.CreateAdminClient();

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/scenarios/{scenario.Id}")).StatusCode);

        await target.FirstRequestAborted.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Single(server.Received);
    }

    [Theory, AllDatabases]
    public async Task RunAskedToStop_EndsCancelled_WhenItsNodeDiesRetriesItOrLeaves(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => (s.MaxAttempts, s.MaxConcurrentRuns) = (3, 3));
        var dead = await RunsTestData.EnqueueAsync(hub, scenario);
        var failing = await RunsTestData.EnqueueAsync(hub, scenario);
        var leaving = await RunsTestData.EnqueueAsync(hub, scenario);
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal([dead], (await store.ClaimAsync("dead-node", time, 1, CancellationToken.None)).Select(c => c.Run.Id));
        time.Advance(TimeSpan.FromSeconds(20));
        var now = time.GetUtcNow();
        Assert.Equal([failing, leaving], (await store.ClaimAsync("node-a", time, 10, CancellationToken.None)).Select(c => c.Run.Id));
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            await db.Runs.ExecuteUpdateAsync(u => u.SetProperty(r => r.CancelRequestedAt, now));
        }

        // One node died: the sweep finds its lease expired (and only its). Another failed its run as retryable before it
        // heard of the request, and released the other as it shut down.
        Assert.Equal(1, (await store.SweepExpiredLeasesAsync(now.AddSeconds(15), CancellationToken.None)).Count);
        await store.CompleteAsync(await RunsTestData.GetRunAsync(hub, failing),
            new RunOutcome(false, 0, 0, [], Error: "503 from the target", Retryable: true), "node-a", now, CancellationToken.None);
        await store.ReleaseAsync(await RunsTestData.GetRunAsync(hub, leaving), "node-a", now, CancellationToken.None);

        foreach (var runId in new[] { dead, failing, leaving })
        {
            var run = await RunsTestData.GetRunAsync(hub, runId);
            Assert.Equal((RunStatus.Cancelled, true), (run.Status, run.FinishedAt is not null));
        }
        // Not "503 from the target", as if that had ended it.
        Assert.Equal(RunStore.CancelledBeforeItsRetry, (await RunsTestData.GetRunAsync(hub, failing)).Error);
        Assert.Empty(await store.ClaimAsync("node-b", new FakeTimeProvider(now.AddHours(1)), 10, CancellationToken.None));
    }

    // It ended Cancelled with the failed attempt's "503" as its error, and no line of its log said it was cancelled.
    [Theory, AllDatabases]
    public async Task Cancel_OfARunWaitingForItsRetry_SaysItWasCancelled_AndItsLogKeepsTheFailedAttempt(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxAttempts = 5);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        var store = hub.Services.GetRequiredService<RunStore>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(1));
        var claimed = Assert.Single(await store.ClaimAsync("node-a", time, 1, CancellationToken.None));
        await store.CompleteAsync(claimed.Run,
            new RunOutcome(false, 0, 0, [new RunLogLine(time.GetUtcNow(), "error", "The http source: GET http://erp/orders answered 503 Service Unavailable.")],
                Error: "The http source: GET http://erp/orders answered 503 Service Unavailable.", Retryable: true),
            "node-a", time.GetUtcNow(), CancellationToken.None);
        Assert.Equal(RunStatus.Queued, (await RunsTestData.GetRunAsync(hub, runId)).Status);
        using var admin = hub.CreateAdminClient();

        var cancel = await admin.PostAsync($"/api/v1/runs/{runId}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var run = (await (await admin.GetAsync($"/api/v1/runs/{runId}")).Content.ReadFromJsonAsync<RunDetails>(TestJson.Options))!;
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal(RunCancellation.CancelledWhileQueued, run.Error?.Message);
        Assert.Equal(
            [("error", "The http source: GET http://erp/orders answered 503 Service Unavailable."), ("warn", RunCancellation.CancelledWhileQueued)],
            run.Log.Select(l => (l.Level, l.Message)));
    }

    [Theory, AllDatabases]
    public async Task RunPage_CancelButton_CancelsAQueuedRun(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await PageForm.PostAsync(hub, cookie, $"/runs/{runId}", "cancel", []);

        Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Redirect, response.StatusCode.ToString());
        Assert.Equal(RunStatus.Cancelled, (await RunsTestData.GetRunAsync(hub, runId)).Status);
        using var reader = hub.CreateCookieClient(cookie);
        Assert.DoesNotContain("Cancel run", await reader.GetStringAsync($"/runs/{runId}"), StringComparison.Ordinal);
    }

    /// <summary>A target whose first request never gets an answer (a stuck system); later ones are answered at once.</summary>
    private static Task<LoopbackHttpServer> HangingTargetAsync() =>
        LoopbackHttpServer.StartAsync(async (_, count, response) =>
        {
            if (count == 0)
            {
                // Until the hub gives up on it: the run's cancellation closes the connection.
                await Task.Delay(Timeout.Infinite, response.HttpContext.RequestAborted);
            }
            response.ContentType = "application/json";
            await response.WriteAsync("{}");
        });

    /// <summary>A target that holds its first request until the hub gives up on it, and says when it came and when it was given up.</summary>
    private static async Task<(LoopbackHttpServer Server, Task FirstRequest, Task FirstRequestAborted)> TargetThatHoldsItsFirstRequestAsync()
    {
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await LoopbackHttpServer.StartAsync(async (_, count, response) =>
        {
            if (count == 0)
            {
                first.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, response.HttpContext.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    aborted.TrySetResult();
                    return;
                }
            }
            response.ContentType = "application/json";
            await response.WriteAsync("{}");
        });
        return (server, first.Task, aborted.Task);
    }

    /// <summary>One run at a time; each stores a key under its run id before it writes the target, one request per record.</summary>
    private static Task<Scenario> CreateScenarioAsync(HubHost hub, LoopbackHttpServer target, int records = 1) =>
        RunsTestData.CreateScenarioAsync(hub, s =>
        {
            s.MaxConcurrentRuns = 1;
            s.SourceScript = $"storage.set(run.id, 1); return Array.from({{ length: {records} }}, (_, i) => ({{ id: i + 1 }}));";
            s.Target = new TargetSettings("http", target.Url("orders"));
        });

    private static async Task<Run> WaitForAsync(HubHost hub, Guid runId, RunStatus status, int timeoutSeconds = 120)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var run = await RunsTestData.GetRunAsync(hub, runId);
            if (run.Status == status || DateTime.UtcNow > deadline)
            {
                Assert.Equal(status, run.Status);
                return run;
            }
            await Task.Delay(50);
        }
    }
}
