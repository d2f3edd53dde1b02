using System.Net;
using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Scenarios;

public sealed class ScenarioProblemsTests
{
    [Fact]
    public async Task AnUnknownScenario_Answers404WithTheSameProblem_FromTheScenarioRunsAndStorageEndpoints()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateAdminClient();
        var id = Guid.NewGuid();

        var responses = new[]
        {
            await client.GetAsync($"/api/v1/scenarios/{id}"),
            await client.PostAsync($"/api/v1/scenarios/{id}/runs", null),
            await client.GetAsync($"/api/v1/scenarios/{id}/storage"),
        };

        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var problem = await ProblemAssert.ProblemAsync(response);
            Assert.Equal("Scenario not found", problem.GetProperty("title").GetString());
            Assert.Equal($"There is no scenario {id} in your workspace.", problem.GetProperty("detail").GetString());
        }
    }
}
