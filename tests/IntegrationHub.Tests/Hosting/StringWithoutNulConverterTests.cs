using System.Net;
using System.Net.Http.Json;
using System.Text;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scenarios;
using static IntegrationHub.Tests.Infrastructure.ProblemAssert;

namespace IntegrationHub.Tests.Hosting;

public sealed class StringWithoutNulConverterTests
{
    [Theory, AllDatabases]
    public async Task ManagementApi_StringHoldingNul_Returns400SayingWhere_AndStoresNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var scenario = ScenarioTestData.ScenarioJson().ToJsonString();
        // Each body holds U+0000 as the JSON escape \u0000: one string each, at the top or nested.
        var bodies = new (string Url, string Json, string Path)[]
        {
            ("/api/v1/scenarios", scenario.Replace("\"Orders to ERP\"", "\"Orders\\u0000\"", StringComparison.Ordinal), "$.name"),
            ("/api/v1/scenarios", scenario.Replace("\"description\":\"\"", "\"description\":\"\\u0000\"", StringComparison.Ordinal), "$.description"),
            ("/api/v1/scenarios", scenario.Replace("\"keyFields\":[\"id\"]", "\"keyFields\":[\"id\\u0000\"]", StringComparison.Ordinal), "$.target.keyFields[0]"),
            ("/api/v1/me/tokens", """{"name":"CI\u0000"}""", "$.name"),
            ("/api/v1/workspaces", """{"name":"Finance\u0000"}""", "$.name"),
        };

        foreach (var (url, json, path) in bodies)
        {
            Assert.Contains("\\u0000", json, StringComparison.Ordinal);
            var response = await admin.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var detail = (await ProblemAsync(response)).GetProperty("detail").GetString();
            Assert.StartsWith($"{path} (line 1, position ", detail, StringComparison.Ordinal);
            Assert.Contains("U+0000", detail, StringComparison.Ordinal);
        }
        Assert.Empty((await admin.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios", TestJson.Options))!.Items);
        var valid = await admin.PostAsync("/api/v1/scenarios", new StringContent(scenario.Replace("Orders to ERP", "Orders \\u00e9", StringComparison.Ordinal), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, valid.StatusCode);
    }
}
