using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scenarios;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace IntegrationHub.Tests.Runs;

public sealed class TwoNodeRunTests
{
    [Fact]
    public async Task TwoHubProcessesOnOnePostgresDatabase_RunEveryOneOf1000TriggersExactlyOnce()
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var nodeA = await HubProcess.StartAsync(database, new Dictionary<string, string> { ["Hub__NodeName"] = "node-a" });
        await using var nodeB = await HubProcess.StartAsync(database, new Dictionary<string, string> { ["Hub__NodeName"] = "node-b" });
        using var clientA = nodeA.CreateAdminClient();
        using var clientB = nodeB.CreateAdminClient();
        var created = await clientA.PostAsJsonAsync("/api/v1/scenarios", ScenarioTestData.ScenarioJson(change: j =>
        {
            j["advanced"]!["maxConcurrentRuns"] = 100;
            j["advanced"]!["maxQueuedRuns"] = 1000;
        }), TestJson.Options);
        var scenarioId = (await created.Content.ReadFromJsonAsync<ScenarioResponse>(TestJson.Options))!.Id;

        // Triggers arrive at both processes, 16 at a time.
        using var gate = new SemaphoreSlim(16);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var client = i % 2 == 0 ? clientA : clientB;
                return (await client.PostAsync($"/api/v1/scenarios/{scenarioId}/runs", null)).StatusCode;
            }
            finally
            {
                gate.Release();
            }
        }));
        var runs = await WaitForEndedRunsAsync(database, scenarioId, 1000);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Accepted, s));
        Assert.Equal(1000, runs.Count);
        // Claimed once each (a second claim would have counted a second attempt), and completed.
        Assert.All(runs, r => Assert.Equal(("Succeeded", 1), (r.Status, r.Attempts)));
        Assert.All(runs, r => Assert.Matches("^node-[ab]:", r.LeaseOwner));
    }

    [Fact]
    public async Task RunQueuedOnAnAcceptOnlyNode_WakesTheOtherNodesWorker_ThroughNotify()
    {
        // Node A executes but polls only once a minute, so only LISTEN/NOTIFY can bring it node B's run sooner.
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var worker = HubHost.Start(database, new Dictionary<string, string?> { ["Hub:NodeName"] = "node-a", ["Runs:PollInterval"] = "00:01:00" });
        await using var acceptor = HubHost.Start(database, new Dictionary<string, string?>(RunsTestData.NoWorkers) { ["Hub:NodeName"] = "node-b" });
        var scenario = await RunsTestData.CreateScenarioAsync(acceptor);

        var runId = await RunsTestData.EnqueueAsync(acceptor, scenario);
        var runs = await RunsTestData.WaitForRunsAsync(acceptor, scenario.Id, 1, r => r.Status == RunStatus.Succeeded, timeoutSeconds: 40);

        var run = Assert.Single(runs);
        Assert.Equal((runId, RunStatus.Succeeded), (run.Id, run.Status));
        Assert.StartsWith("node-a", run.LeaseOwner, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoNodesOnOnePostgresDatabase_TogetherQueueNoMoreThanMaxQueuedRuns()
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var nodeA = HubHost.Start(database, new Dictionary<string, string?>(RunsTestData.NoWorkers) { ["Hub:NodeName"] = "node-a" });
        await using var nodeB = HubHost.Start(database, new Dictionary<string, string?>(RunsTestData.NoWorkers) { ["Hub:NodeName"] = "node-b" });
        var scenario = await RunsTestData.CreateScenarioAsync(nodeA, s => s.MaxQueuedRuns = 30);
        var queueA = nodeA.Services.GetRequiredService<RunQueue>();
        var queueB = nodeB.Services.GetRequiredService<RunQueue>();

        // 200 triggers at once, half on each node: both nodes' groups race for the last places.
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            (i % 2 == 0 ? queueA : queueB).EnqueueAsync(RunsTestData.ManualRun(scenario), CancellationToken.None)));

        Assert.Equal(30, results.OfType<EnqueueResult.Queued>().Count());
        Assert.Equal(170, results.OfType<EnqueueResult.QueueFull>().Count());
        Assert.Equal(30, (await RunsTestData.GetRunsAsync(nodeA, scenario.Id)).Count);
    }

    /// <summary>Reads the scenario's runs straight from the database until <paramref name="count"/> have ended.</summary>
    private static async Task<List<(string Status, int Attempts, string LeaseOwner)>> WaitForEndedRunsAsync(TestDatabase database, Guid scenarioId, int count)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (true)
        {
            var runs = new List<(string, int, string)>();
            await using (var command = new NpgsqlCommand(
                """SELECT "Status", "Attempts", coalesce("LeaseOwner", '') FROM "Runs" WHERE "ScenarioId" = @id AND "Status" IN ('Succeeded', 'Failed')""", connection))
            {
                command.Parameters.AddWithValue("id", scenarioId);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    runs.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2)));
                }
            }
            if (runs.Count >= count || DateTime.UtcNow > deadline)
            {
                return runs;
            }
            await Task.Delay(200);
        }
    }
}
