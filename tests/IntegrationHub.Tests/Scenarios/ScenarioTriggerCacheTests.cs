using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Scenarios;

public sealed class ScenarioTriggerCacheTests
{
    [Fact]
    public async Task ChangeSavedOnOneNode_ReachesTriggersOnAnotherNode_WithinTheCacheLifetime()
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var nodeA = HubHost.Start(database);
        await using var nodeB = HubHost.Start(database);
        var scenario = await ScenarioTestData.CreateScenarioAsync(nodeA);
        using var clientA = nodeA.CreateAdminClient();
        using var clientB = nodeB.CreateAdminClient();
        // Node B reads the settings once and caches them.
        Assert.Equal(HttpStatusCode.OK, (await clientB.GetAsync($"/ExternalData/Accept/{scenario.Id}")).StatusCode);

        var put = await clientA.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}", ScenarioTestData.ScenarioJson(externalTriggers: false), TestJson.Options);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await clientA.GetAsync($"/ExternalData/Accept/{scenario.Id}")).StatusCode);

        var deadline = DateTime.UtcNow + ScenarioTriggerCache.Lifetime + TimeSpan.FromSeconds(30);
        HttpStatusCode status;
        do
        {
            await Task.Delay(250);
            status = (await clientB.GetAsync($"/ExternalData/Accept/{scenario.Id}")).StatusCode;
        }
        while (status != HttpStatusCode.NotFound && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.NotFound, status);
    }
}
