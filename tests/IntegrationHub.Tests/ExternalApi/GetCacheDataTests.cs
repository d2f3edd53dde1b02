using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.ExternalApi;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scenarios;

namespace IntegrationHub.Tests.ExternalApi;

public sealed class GetCacheDataTests
{
    [Theory, AllDatabases]
    public async Task GetCacheData_ByKey_ReturnsStoredValue_WhateverThePropertyOrderOfTheKey(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        await PutAsync(client, scenario.Id, """{"shop":"north","id":7}""", """{"total":12.5,"lines":[1,2]}""");

        var response = await client.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}?keyJson={Uri.EscapeDataString("{ \"id\": 7, \"shop\": \"north\" }")}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var value = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(12.5m, value.GetProperty("total").GetDecimal());
        Assert.Equal(2, value.GetProperty("lines").GetArrayLength());
    }

    [Theory, AllDatabases]
    public async Task GetCacheData_UnknownKey_Returns404Problem(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}?keyJson=%22nothing%22");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await ProblemAssert.ProblemAsync(response);
        Assert.Equal("No value stored under this key", problem.GetProperty("title").GetString());
    }

    [Theory, AllDatabases]
    public async Task GetCacheData_MalformedKeyJson_Returns400SayingWhere(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}?keyJson={Uri.EscapeDataString("{\"id\":}")}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemAssert.ProblemAsync(response);
        Assert.Contains("position 7", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task GetCacheData_AndTheStorageApi_KeyTooLongToBeStored_Return400SayingSo(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var keyJson = Uri.EscapeDataString(JsonSerializer.Serialize(new string('k', 2_000)));

        foreach (var url in new[] { $"/ExternalData/GetCacheData/{scenario.Id}?keyJson={keyJson}", $"/api/v1/scenarios/{scenario.Id}/storage?keyJson={keyJson}" })
        {
            // A 404 would say a value could have been stored under it.
            var response = await client.GetAsync(url);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await ProblemAssert.ProblemAsync(response);
            Assert.Contains("at most 1,024 bytes", problem.ToString(), StringComparison.Ordinal);
        }
    }

    [Theory, AllDatabases]
    public async Task GetCacheData_SignedInReaderOfAnUnknownScenario_Gets404ThatDoesNotBlameExternalTriggers(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateAdminClient();
        var unknown = Guid.NewGuid();

        // Signed-in callers read storage whether or not the scenario takes external triggers.
        var response = await client.GetAsync($"/ExternalData/GetCacheData/{unknown}?keyJson=1");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await ProblemAssert.ProblemAsync(response);
        Assert.Equal($"There is no scenario {unknown} in your workspace.", problem.GetProperty("detail").GetString());
    }

    [Theory, AllDatabases]
    public async Task GetCacheData_WithoutKey_ListsEntriesInPages(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        for (var i = 1; i <= 3; i++)
        {
            await PutAsync(client, scenario.Id, i.ToString(), $"{{\"n\":{i}}}");
        }

        var page = await client.GetFromJsonAsync<CacheDataPage>($"/ExternalData/GetCacheData/{scenario.Id}?page=2&pageSize=2", TestJson.Options);

        Assert.NotNull(page);
        Assert.Equal(3, page.Total);
        Assert.Equal(2, page.Page);
        Assert.Equal(2, page.PageSize);
        var item = Assert.Single(page.Items);
        Assert.Equal(3, item.Key.GetInt32());
        Assert.Equal(3, item.Value.GetProperty("n").GetInt32());
    }

    [Theory, AllDatabases]
    public async Task GetCacheData_Anonymous_OnlyWhenTheScenarioAllowsAnonymousTriggers(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var open = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(anonymous: true));
        var closed = await ScenarioTestData.CreateScenarioAsync(hub);
        using var admin = hub.CreateAdminClient();
        await PutAsync(admin, open.Id, "1", "\"open\"");
        await PutAsync(admin, closed.Id, "1", "\"closed\"");
        using var anonymous = hub.CreateHttpClient();

        var allowed = await anonymous.GetAsync($"/ExternalData/GetCacheData/{open.Id}?keyJson=1");
        var refused = await anonymous.GetAsync($"/ExternalData/GetCacheData/{closed.Id}?keyJson=1");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("open", await allowed.Content.ReadFromJsonAsync<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task GetCacheData_ViewerMayRead(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var admin = hub.CreateAdminClient();
        await PutAsync(admin, scenario.Id, "1", "true");
        using var viewer = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer));

        var response = await viewer.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}?keyJson=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task PutAsync(HttpClient client, Guid scenarioId, string keyJson, string valueJson)
    {
        var response = await client.PutAsync(
            $"/api/v1/scenarios/{scenarioId}/storage?keyJson={Uri.EscapeDataString(keyJson)}",
            new StringContent(valueJson, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }
}
