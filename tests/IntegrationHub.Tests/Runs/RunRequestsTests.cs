using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Runs;

public sealed class RunRequestsTests
{
    [Theory, AllDatabases]
    public async Task RunNow_WhenTheScenarioIsDeletedRightAfterTheEnqueueCommitted_IsScenarioNotFound(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        // The race, in its order: the run is enqueued, then the scenario's delete (cascading to its runs) commits before
        // the request reads the run back for its answer (this was a 500 from the API).
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        await using var db = await RunsTestData.CreateDbAsync(hub);
        await db.Scenarios.Where(s => s.Id == scenario.Id).ExecuteDeleteAsync();
        var requests = new RunRequests(db, hub.Services.GetRequiredService<RunQueue>());

        var answer = await requests.ReadBackAsync(new EnqueueResult.Queued(runId), scenario.Id, CancellationToken.None);

        Assert.Equal(new RunRequestResult.ScenarioNotFound(scenario.Id), answer);
    }
}
