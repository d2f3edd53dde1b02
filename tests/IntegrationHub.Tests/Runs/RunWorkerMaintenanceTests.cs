using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Connectors;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace IntegrationHub.Tests.Runs;

public sealed class RunWorkerMaintenanceTests
{
    // A claim reads the clock, then loads the scenarios of the runs it claimed (a query when a scenario is new to the
    // node), and only then puts the runs among those the lease loop renews. A renewal that began in that gap asked for
    // the runs in flight without the new one, yet judged every run in flight by its answer: the new run, claimed before
    // the renewal began and missing from it, read as a run this node had lost. Its lease was cancelled, its target call
    // aborted, and the run left Running until its lease ran out (then failed, with no attempts left). The test holds the
    // scenario load and the renewal (a row lock) so that the two meet in that order every time.
    [Fact]
    public async Task RunClaimedWhileARenewalIsUnderway_IsNotTakenForALostRun()
    {
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = await LoopbackHttpServer.StartAsync(async (request, _, response) =>
        {
            var aborted = response.HttpContext.RequestAborted;
            var second = request.Path.EndsWith("second", StringComparison.Ordinal);
            (second ? secondArrived : first).TrySetResult();
            try
            {
                await answer.Task.WaitAsync(aborted);
            }
            catch (OperationCanceledException)
            {
                if (second)
                {
                    secondAborted.TrySetResult();
                }
                return;
            }
            response.ContentType = "application/json";
            await response.WriteAsync("{}");
        });
        // The hub's own worker stays idle; the test runs one whose scenario loads it can hold.
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Postgres, new Dictionary<string, string?>(RunsTestData.NoWorkers)
        {
            ["Connectors:HttpAttemptTimeout"] = "00:05:00",
        });
        var loads = new HeldContextFactory(hub.Services.GetRequiredService<IDbContextFactory<HubDbContext>>());
        var worker = RunsTestData.CreateWorker(hub, loads, new RunsOptions { LeaseDuration = TimeSpan.FromSeconds(3), Concurrency = 4 });
        await worker.StartAsync(CancellationToken.None);
        try
        {
            void Configure(Scenario s, string path)
            {
                s.SourceScript = "return [{ id: 1 }];";
                s.Target = new TargetSettings("http", target.Url(path));
                s.TimeoutSeconds = 300;
                s.MaxAttempts = 1;
            }
            var busy = await RunsTestData.CreateScenarioAsync(hub, s => Configure(s, "first"));
            var later = await RunsTestData.CreateScenarioAsync(hub, s => Configure(s, "second"));
            // A run in flight, so that the lease loop renews.
            var inFlight = await RunsTestData.EnqueueAsync(hub, busy);
            await first.Task.WaitAsync(TimeSpan.FromSeconds(60));

            // The next run is claimed; its scenario's load waits.
            loads.Hold();
            var claimed = await RunsTestData.EnqueueAsync(hub, later);
            await loads.Entered.WaitAsync(TimeSpan.FromSeconds(60));
            // A renewal after the claim, then the next one held by a row lock, after it asked for the runs in flight.
            var claimedLease = (await RunsTestData.GetRunAsync(hub, claimed)).LeaseExpiresAt;
            await WaitUntilAsync(async () => (await RunsTestData.GetRunAsync(hub, inFlight)).LeaseExpiresAt > claimedLease);
            await using var lockRow = new NpgsqlConnection(hub.Database.ConnectionString);
            await lockRow.OpenAsync();
            await using (var transaction = await lockRow.BeginTransactionAsync())
            {
                await using (var select = new NpgsqlCommand("""SELECT 1 FROM "Runs" WHERE "Id" = @id FOR UPDATE""", lockRow, transaction))
                {
                    select.Parameters.AddWithValue("id", inFlight);
                    await select.ExecuteNonQueryAsync();
                }
                await WaitUntilAsync(() => RenewalWaitsAsync(hub));
                var heldLease = (await RunsTestData.GetRunAsync(hub, inFlight)).LeaseExpiresAt;

                // The claim goes on: the run is in flight, calling its target, when the renewal answers.
                loads.Release();
                await secondArrived.Task.WaitAsync(TimeSpan.FromSeconds(60));
                await transaction.RollbackAsync();
                // That renewal, and the one after it, are through.
                await WaitUntilAsync(async () => (await RunsTestData.GetRunAsync(hub, inFlight)).LeaseExpiresAt > heldLease);
                var renewedLease = (await RunsTestData.GetRunAsync(hub, inFlight)).LeaseExpiresAt;
                await WaitUntilAsync(async () => (await RunsTestData.GetRunAsync(hub, inFlight)).LeaseExpiresAt > renewedLease);
            }

            Assert.False(secondAborted.Task.IsCompleted, "The claimed run's call to its target was aborted.");
            answer.TrySetResult();
            var run = Assert.Single(await RunsTestData.WaitForRunsAsync(hub, later.Id, 1, r => r.Status is not (RunStatus.Queued or RunStatus.Running), timeoutSeconds: 60));
            Assert.Equal((RunStatus.Succeeded, 1), (run.Status, run.Attempts));
        }
        finally
        {
            answer.TrySetResult();
            loads.Release();
            await worker.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Whether a lease renewal is waiting for a row lock.</summary>
    private static async Task<bool> RenewalWaitsAsync(HubHost hub)
    {
        await using var connection = new NpgsqlConnection(hub.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE "Runs" SET "LeaseExpiresAt"%'
            """, connection);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(60); !await condition();)
        {
            Assert.True(DateTime.UtcNow < deadline, "Waited a minute in vain.");
            await Task.Delay(50);
        }
    }
}
