using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Connectors;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scenarios;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace IntegrationHub.Tests.Runs;

public sealed class RunWorkerTests
{
    [Theory, AllDatabases]
    public async Task Worker_KeepsMaxConcurrentRuns_AndStartsRunsInArrivalOrder(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxConcurrentRuns = 1);

        var ids = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await RunsTestData.EnqueueAsync(hub, scenario));
        }
        // Sample while they execute: never more than one Running at a time.
        var mostRunning = 0;
        List<Run> runs;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        do
        {
            runs = await RunsTestData.GetRunsAsync(hub, scenario.Id);
            mostRunning = Math.Max(mostRunning, runs.Count(r => r.Status == RunStatus.Running));
        }
        while (!runs.All(r => r.Status == RunStatus.Succeeded) && DateTime.UtcNow < deadline);

        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.True(mostRunning <= 1, $"{mostRunning} runs of the scenario were Running at once.");
        Assert.Equal(ids, runs.Select(r => r.Id));
        Assert.Equal(runs.Select(r => r.StartedAt), runs.Select(r => r.StartedAt).Order());
    }

    [Theory, AllDatabases]
    public async Task QueuedRun_WakesTheIdleWorkerAtOnce_InsteadOfWaitingForItsPoll(DatabaseProvider provider)
    {
        // The worker polls only once a minute: the run can finish sooner only if the enqueue wakes it.
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Runs:PollInterval"] = "00:01:00" });
        var scenario = await RunsTestData.CreateScenarioAsync(hub);

        await RunsTestData.EnqueueAsync(hub, scenario);
        var runs = await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 1, r => r.Status == RunStatus.Succeeded, timeoutSeconds: 40);

        Assert.Equal(RunStatus.Succeeded, Assert.Single(runs).Status);
    }

    [Theory, AllDatabases]
    public async Task Worker_RunsSeveralRunsOfAScenarioAtOnce_UpToItsMaximum(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxConcurrentRuns = 50);

        await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => RunsTestData.EnqueueAsync(hub, scenario)));
        var runs = await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 100, r => r.Status == RunStatus.Succeeded);

        Assert.Equal(100, runs.Count);
        Assert.All(runs, r => Assert.Equal((RunStatus.Succeeded, 1), (r.Status, r.Attempts)));
    }

    [Theory, AllDatabases]
    public async Task RunningRun_ShowsItsLogBeforeItEnds_AndItsOutcomeKeepsTheWholeLog(DatabaseProvider provider)
    {
        // The target answers only when the test lets it: until then the run is Running, its script's line written.
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = await LoopbackHttpServer.StartAsync(async (_, _) =>
        {
            await answer.Task;
            return (200, "{}");
        });
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Runs:LiveLogInterval"] = "00:00:00.100" });
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s =>
        {
            s.SourceScript = "log.info('sending the order'); return [{ id: 1 }];";
            s.Target = new TargetSettings("http", target.Url("orders"));
        });

        await RunsTestData.EnqueueAsync(hub, scenario);
        var running = await WaitForRunAsync(hub, scenario.Id, r =>
            r.Attempts > 1 || r.Status is RunStatus.Succeeded or RunStatus.Failed || r.Log?.Contains("sending the order", StringComparison.Ordinal) == true);

        // Still the first attempt: a retry would find the log its failed attempt recorded.
        Assert.Equal((RunStatus.Running, 1), (running.Status, running.Attempts));
        Assert.Contains("sending the order", running.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("Wrote", running.Log, StringComparison.Ordinal);
        answer.SetResult();
        var done = await WaitForRunAsync(hub, scenario.Id, r => r.Status == RunStatus.Succeeded);
        Assert.Contains("sending the order", done.Log, StringComparison.Ordinal);
        Assert.Contains("Wrote 1 record to the http target.", done.Log, StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task Shutdown_ReleasesARunStillExecuting_WithoutCountingItsAttempt_AndTheNextNodeRunsIt(DatabaseProvider provider)
    {
        // The first request to the target never gets its answer; later ones are answered at once.
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = await LoopbackHttpServer.StartAsync(async (_, count) =>
        {
            if (count == 0)
            {
                await never.Task;
            }
            return (200, "{}");
        });
        var database = await TestDatabase.CreateAsync(provider);
        var first = HubHost.Start(database, new Dictionary<string, string?> { ["Hub:NodeName"] = "node-a", ["Hub:ShutdownTimeout"] = "00:00:01" });
        var scenario = await RunsTestData.CreateScenarioAsync(first, s =>
        {
            s.SourceScript = "return [{ id: 1 }];";
            s.Target = new TargetSettings("http", target.Url("orders"));
        });
        await RunsTestData.EnqueueAsync(first, scenario);
        Assert.Equal(RunStatus.Running, (await WaitForRunAsync(first, scenario.Id, r => r.Status != RunStatus.Queued)).Status);

        await first.DisposeAsync();
        await using var second = HubHost.Start(database, new Dictionary<string, string?> { ["Hub:NodeName"] = "node-b" });
        var run = await WaitForRunAsync(second, scenario.Id, r => r.Status == RunStatus.Succeeded);
        never.SetResult();

        // Released, not left to its lease: the second node had it at once, as its first attempt.
        Assert.Equal((RunStatus.Succeeded, 1), (run.Status, run.Attempts));
        Assert.StartsWith("node-b", run.LeaseOwner, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outcome_TheDatabaseFailsForAWhile_IsRecordedWhenItRecovers_WithoutRunningTheRunAgain()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Postgres);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.SourceScript = "storage.set('ran', run.id); return [];");
        // Recording a success fails as a deadlock would (PostgreSQL picks a victim; the next try goes through). SQLite
        // fails an outcome so only when another process holds the file past its 30 s busy timeout.
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            await db.Database.ExecuteSqlRawAsync(
                """
                CREATE FUNCTION refuse_success() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'refused for the test' USING ERRCODE = 'deadlock_detected'; END $$;
                CREATE TRIGGER refuse_success BEFORE UPDATE ON "Runs" FOR EACH ROW WHEN (NEW."Status" = 'Succeeded') EXECUTE FUNCTION refuse_success();
                """);
        }

        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 1, r => r.Status != RunStatus.Queued);
        // The script takes milliseconds: by now its outcome was refused, and tried again, several times.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var whileRefused = await RunsTestData.GetRunAsync(hub, runId);
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            await db.Database.ExecuteSqlRawAsync("""DROP TRIGGER refuse_success ON "Runs" """);
        }
        var run = (await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 1, r => r.Status == RunStatus.Succeeded)).Single();

        Assert.Equal((RunStatus.Running, 1), (whileRefused.Status, whileRefused.Attempts));
        // Recorded by the attempt that ran, not by a second one after its lease ran out.
        Assert.Equal(1, run.Attempts);
        var stored = await hub.Services.GetRequiredService<ScenarioStorage>().GetAsync(scenario.Id, "\"ran\"", CancellationToken.None);
        Assert.Equal($"\"{runId}\"", stored);
    }

    [Fact]
    public async Task Outcome_TheDiskIsFullForLongerThanALease_IsRecordedWhenSpaceReturns_WhileTheNodeStillHoldsTheRun()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Postgres, new Dictionary<string, string?> { ["Runs:LeaseDuration"] = "00:00:03" });
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxAttempts = 3);
        // Recording the success fails as on a full disk (53100), while the lease renewals, which are small updates, get
        // through. The worker gave up after 16 s of pauses whatever its lease (here after 1.75 s, with a 3 s lease), and
        // the run went back to the queue and ran again.
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            await db.Database.ExecuteSqlRawAsync(
                """
                CREATE FUNCTION refuse_success() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
                CREATE TRIGGER refuse_success BEFORE UPDATE ON "Runs" FOR EACH ROW WHEN (NEW."Status" = 'Succeeded') EXECUTE FUNCTION refuse_success();
                """);
        }

        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 1, r => r.Status != RunStatus.Queued);
        // Past two and a half leases: long enough for a worker that gave up to have the run swept and claimed again.
        await Task.Delay(TimeSpan.FromSeconds(8));
        var whileFull = await RunsTestData.GetRunAsync(hub, runId);
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            await db.Database.ExecuteSqlRawAsync("""DROP TRIGGER refuse_success ON "Runs" """);
        }
        var run = (await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 1, r => r.Status == RunStatus.Succeeded)).Single();

        Assert.Equal((RunStatus.Running, 1), (whileFull.Status, whileFull.Attempts));
        Assert.Equal(1, run.Attempts);
    }

    [Theory, AllDatabases]
    public async Task StorageWrites_LandWhenTheRunSucceeds_AndAFailedRunLeavesNone(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        // Runs of one scenario one at a time, in order: the failing run sees what the first one stored.
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.SourceScript =
            """
            const count = (storage.get('count') ?? 0) + 1;
            storage.set('count', count);
            storage.set('run ' + count, run.id);
            if (data[0]?.Body.fail) throw new Error('this run fails after writing');
            """);

        await RunsTestData.EnqueueAsync(hub, scenario);
        await RunsTestData.EnqueueAsync(hub, scenario, """{"Body":{"fail":true}}""");
        await RunsTestData.EnqueueAsync(hub, scenario);
        var runs = await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 3, r => r.Status is RunStatus.Succeeded or RunStatus.Failed);

        Assert.Equal([RunStatus.Succeeded, RunStatus.Failed, RunStatus.Succeeded], runs.Select(r => r.Status));
        var storage = hub.Services.GetRequiredService<ScenarioStorage>();
        var entries = await storage.ListAsync(scenario.Id, null, 0, 10, CancellationToken.None);
        // The failed run's count and its "run 2" are gone: the third run counted from the first one's value.
        Assert.Equal(["\"count\"", "\"run 1\"", "\"run 2\""], entries.Items.Select(e => e.Key));
        Assert.Equal("2", entries.Items[0].Value);
        Assert.Equal($"\"{runs[2].Id}\"", entries.Items[2].Value);
    }

    [Theory, AllDatabases]
    public async Task RunAfterTheScenarioWasSaved_RunsTheSavedScript(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        static JsonObject Json(int version) => ScenarioTestData.ScenarioJson(change: j =>
        {
            j.Remove("schedule");
            j["sourceScript"] = $"return [{{ id: 'v', version: {version} }}];";
        });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, Json(1));
        using var admin = hub.CreateAdminClient();

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/v1/scenarios/{scenario.Id}/runs", null)).StatusCode);
        await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 1, r => r.Status == RunStatus.Succeeded);
        Assert.True((await admin.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}", Json(2), TestJson.Options)).IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/v1/scenarios/{scenario.Id}/runs", null)).StatusCode);
        await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 2, r => r.Status == RunStatus.Succeeded);

        var stored = await hub.Services.GetRequiredService<ScenarioStorage>().GetAsync(scenario.Id, "\"v\"", CancellationToken.None);
        Assert.Equal("""{"id":"v","version":2}""", stored);
    }

    [Theory, AllDatabases]
    public async Task RunOfADeadNode_GoesBackToTheQueueWhenItsLeaseExpires_AndCompletes(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Runs:LeaseDuration"] = "00:00:03" });
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxAttempts = 3);
        var now = DateTimeOffset.UtcNow;
        var orphan = new Run
        {
            WorkspaceId = scenario.WorkspaceId,
            ScenarioId = scenario.Id,
            Status = RunStatus.Running,
            Trigger = TriggerKind.Manual,
            QueuedAt = now.AddMinutes(-2),
            AvailableAt = now.AddMinutes(-2),
            StartedAt = now.AddMinutes(-2),
            Attempts = 1,
            MaxAttempts = 3,
            LeaseOwner = "dead-node",
            LeaseExpiresAt = now.AddMinutes(-1),
        };
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            db.Runs.Add(orphan);
            await db.SaveChangesAsync();
        }

        var run = (await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 1, r => r.Status == RunStatus.Succeeded)).Single();

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(2, run.Attempts);
        Assert.NotEqual("dead-node", run.LeaseOwner);
        // Its log, which the second attempt's outcome wrote, still tells of the first one.
        var first = StoredRunLog.Parse(run.Log)[0];
        Assert.Equal(("warn", "Attempt 1: The node running it (dead-node) stopped renewing its lease: it died, hung or lost its database; the run returned to the queue."),
            (first.Level, first.Message));
    }

    [Theory, AllDatabases]
    public async Task RetriedRun_ItsLogTellsOfEveryAttempt_AndItsStartIsTheFirstAttempts(DatabaseProvider provider)
    {
        // The target fails the first call only; the connector does not retry it itself, so the run's attempt 1 fails.
        await using var target = await LoopbackHttpServer.StartAsync((_, n) => n == 0 ? (503, "") : (200, "{}"));
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?>
        {
            ["Connectors:HttpRetryAttempts"] = "0",
            ["Runs:RetryBaseDelay"] = "00:00:00.200",
        });
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s =>
        {
            s.SourceScript = "log.info('sending the order'); return [{ id: 1 }];";
            s.Target = new TargetSettings("http", target.Url("orders"));
            s.MaxAttempts = 3;
        });

        var before = DateTimeOffset.UtcNow;
        await RunsTestData.EnqueueAsync(hub, scenario);
        var done = await WaitForRunAsync(hub, scenario.Id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed);

        Assert.Equal((RunStatus.Succeeded, 2), (done.Status, done.Attempts));
        var lines = StoredRunLog.Parse(done.Log).Select(l => l.Message).ToList();
        Assert.Equal(2, lines.Count(l => l == "sending the order"));
        var retried = lines.IndexOf("Attempt 2 of 3.");
        Assert.True(retried > 0, string.Join(" | ", lines));
        Assert.Contains(lines[..retried], l => l.Contains("503", StringComparison.Ordinal));
        Assert.Contains("Wrote 1 record to the http target.", lines[retried..]);
        // The run started with its first attempt, before the retry's backoff: its duration is the whole run's.
        Assert.True(done.FinishedAt - done.StartedAt >= TimeSpan.FromMilliseconds(200), $"{done.StartedAt:O} to {done.FinishedAt:O}");
        Assert.True(done.StartedAt >= before.AddSeconds(-1));
    }

    // A node that stalls past its lease (a long pause, a suspended VM) may claim its own run again once the run is swept
    // back to the queue. The stale attempt went on calling the target, and its end took the new attempt out of the
    // renewals, so the new attempt's lease ran out as well and the run was executed a third time.
    [Theory, AllDatabases]
    public async Task RunSweptFromAStalledNode_AndClaimedByItAgain_StopsTheStaleAttempt_AndRenewsTheNewOne(DatabaseProvider provider)
    {
        var firstArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answerSecond = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = await LoopbackHttpServer.StartAsync(async (_, count, response) =>
        {
            var aborted = response.HttpContext.RequestAborted;
            if (count == 0)
            {
                firstArrived.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, aborted);
                }
                catch (OperationCanceledException)
                {
                    firstAborted.TrySetResult();
                    return;
                }
            }
            secondArrived.TrySetResult();
            await answerSecond.Task.WaitAsync(aborted);
            response.ContentType = "application/json";
            await response.WriteAsync("{}");
        });
        // Renewals every second; attempts at the target that outlast the test.
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?>
        {
            ["Runs:LeaseDuration"] = "00:00:03",
            ["Connectors:HttpAttemptTimeout"] = "00:05:00",
        });
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s =>
        {
            s.SourceScript = "return [{ id: 1 }];";
            s.Target = new TargetSettings("http", target.Url("orders"));
            s.MaxAttempts = 3;
            s.TimeoutSeconds = 300;
        });
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        await firstArrived.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // What a sweeper does to a lease that ran out while its node stalled: the run goes back to the queue. A renewal
        // may come between the lease's end and the sweep; then both go again.
        var store = hub.Services.GetRequiredService<RunStore>();
        do
        {
            await using var db = await RunsTestData.CreateDbAsync(hub);
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.LeaseExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        }
        while ((await store.SweepExpiredLeasesAsync(DateTimeOffset.UtcNow, CancellationToken.None)).Count == 0);
        hub.Services.GetRequiredService<RunSignals>().WorkAvailable();

        await secondArrived.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await firstAborted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var claimedAgain = await RunsTestData.GetRunAsync(hub, runId);
        Assert.Equal((RunStatus.Running, 2), (claimedAgain.Status, claimedAgain.Attempts));
        // The new attempt's lease is renewed, though the stale attempt, which had the same run id, has ended.
        var renewed = claimedAgain;
        for (var deadline = DateTime.UtcNow.AddSeconds(60); renewed.LeaseExpiresAt <= claimedAgain.LeaseExpiresAt && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(100);
            renewed = await RunsTestData.GetRunAsync(hub, runId);
        }
        Assert.True(renewed.LeaseExpiresAt > claimedAgain.LeaseExpiresAt, $"{renewed.Status}, attempt {renewed.Attempts}, lease {renewed.LeaseExpiresAt:O}");
        Assert.Equal(2, renewed.Attempts);
        answerSecond.TrySetResult();
        var done = await WaitForRunAsync(hub, scenario.Id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed);

        Assert.Equal((RunStatus.Succeeded, 2), (done.Status, done.Attempts));
        Assert.Equal(2, target.Received.Count);
    }

    // A claim counts the attempt; the worker then loads the scenarios of the runs it claimed (a query for a scenario new
    // to the node, or not run within the hour). When that query failed, as a query on a pooled connection the database
    // ended in a restart does, the claimed runs were never started nor renewed: they stayed Running until their leases
    // ran out, and a run on its last attempt then failed without having run at all.
    [Fact]
    public async Task ScenarioLoadFailsAfterAClaim_WhileTheDatabaseIsAwayForAMoment_TheClaimedRunStillRuns_AsItsFirstAttempt()
    {
        var capture = new LogCapture();
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Postgres, RunsTestData.NoWorkers);
        hub.Services.GetRequiredService<ILoggerFactory>().AddProvider(capture);
        var loads = new HeldContextFactory(hub.Services.GetRequiredService<IDbContextFactory<HubDbContext>>());
        var worker = RunsTestData.CreateWorker(hub, loads, new RunsOptions { LeaseDuration = TimeSpan.FromSeconds(6), Concurrency = 4 });
        var server = await PostgresServer.GetAsync();
        var name = new NpgsqlConnectionStringBuilder(hub.Database.ConnectionString).Database!;
        await worker.StartAsync(CancellationToken.None);
        try
        {
            var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxAttempts = 1);
            loads.Hold();
            var runId = await RunsTestData.EnqueueAsync(hub, scenario);
            await loads.Entered.WaitAsync(TimeSpan.FromSeconds(60));

            // The database goes away under the load: it ends the hub's connections and refuses new ones, until the
            // load has failed.
            await server.AdminAsync($"""ALTER DATABASE "{name}" ALLOW_CONNECTIONS false""",
                $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
            try
            {
                loads.Release();
                for (var deadline = DateTime.UtcNow.AddSeconds(60);
                    !capture.Entries.Any(e => e.Exception?.StackTrace?.Contains(nameof(ScenarioSnapshots), StringComparison.Ordinal) == true);)
                {
                    Assert.True(DateTime.UtcNow < deadline, "The scenario load did not fail.");
                    await Task.Delay(20);
                }
            }
            finally
            {
                await server.AdminAsync($"""ALTER DATABASE "{name}" ALLOW_CONNECTIONS true""");
            }

            var run = await WaitForRunAsync(hub, scenario.Id, r => r.Status is not (RunStatus.Queued or RunStatus.Running));
            Assert.Equal((RunStatus.Succeeded, 1), (run.Status, run.Attempts));
            Assert.Equal(runId, run.Id);
        }
        finally
        {
            loads.Release();
            await worker.StopAsync(CancellationToken.None);
        }
    }

    // A claim that failed while the node stopped ended the worker at once: the stop returned while a run was still
    // executing, its lease no longer renewed, and a process exiting then left it Running until the lease ran out.
    [Fact]
    public async Task ClaimFailsAsTheNodeStops_TheStopStillWaitsForTheRunInFlight()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?>(RunsTestData.NoWorkers) { ["Hub:ShutdownTimeout"] = "00:00:05" });
        var loads = new HeldContextFactory(hub.Services.GetRequiredService<IDbContextFactory<HubDbContext>>());
        var worker = RunsTestData.CreateWorker(hub, loads, new RunsOptions { Concurrency = 4 });
        var requested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A target that never answers: the run in flight ends only when the stop's timeout aborts it.
        await using var target = await LoopbackHttpServer.StartAsync(async (_, _, response) =>
        {
            requested.TrySetResult();
            await Task.Delay(Timeout.Infinite, response.HttpContext.RequestAborted);
        });
        var stuck = await RunsTestData.CreateScenarioAsync(hub, s =>
        {
            s.SourceScript = "return [{ id: 1 }];";
            s.Target = new TargetSettings("http", target.Url("orders"));
        });
        var other = await RunsTestData.CreateScenarioAsync(hub);
        await worker.StartAsync(CancellationToken.None);
        Task? stop = null;
        try
        {
            var stuckRun = await RunsTestData.EnqueueAsync(hub, stuck);
            await requested.Task.WaitAsync(TimeSpan.FromSeconds(60));
            loads.Hold();
            await RunsTestData.EnqueueAsync(hub, other);
            await loads.Entered.WaitAsync(TimeSpan.FromSeconds(60));

            stop = worker.StopAsync(CancellationToken.None);
            loads.Fail(new InvalidOperationException("The scenarios of the claim could not be loaded."));
            await stop;

            // Released by the stop's timeout, as a run still executing when the node stops is; not left Running.
            Assert.Equal(RunStatus.Queued, (await RunsTestData.GetRunAsync(hub, stuckRun)).Status);
        }
        finally
        {
            loads.Release();
            await (stop ?? worker.StopAsync(CancellationToken.None));
        }
    }

    /// <summary>The only run of <paramref name="scenarioId"/>, once it satisfies <paramref name="done"/>.</summary>
    private static async Task<Run> WaitForRunAsync(HubHost hub, Guid scenarioId, Func<Run, bool> done) =>
        Assert.Single(await RunsTestData.WaitForRunsAsync(hub, scenarioId, 1, done, timeoutSeconds: 60));
}
