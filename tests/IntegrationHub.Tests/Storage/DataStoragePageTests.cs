using System.Net;
using System.Text;
using IntegrationHub.Data;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Storage;

/// <summary>The server-rendered data storage page, read as HTML (the browser tests cover using it).</summary>
public sealed class DataStoragePageTests
{
    [Fact]
    public async Task List_ShowsKeysAndValuesAsWritten_NotAsJsonEscapes()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var api = hub.CreateAdminClient();
        await PutAsync(api, scenario.Id, """{"name":"Müller €"}""", "\"Zürich <b>\"");
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await browser.GetAsync($"/storage/{scenario.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        // The key as a link's text, the value as a cell's text: as written, not "M\u00FCller \u20AC".
        Assert.Contains(""">{"name":"Müller €"}</a>""", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        Assert.Contains(""">"Zürich <b>"</td>""", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entry_NestedAsDeepAsAValueMay_IsShown()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var api = hub.CreateAdminClient();
        await PutAsync(api, scenario.Id, "\"deep\"", new string('[', HubJson.MaxValueDepth) + "1" + new string(']', HubJson.MaxValueDepth));
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var list = await browser.GetAsync($"/storage/{scenario.Id}");
        var entry = await browser.GetAsync($"/storage/{scenario.Id}?key={Uri.EscapeDataString("\"deep\"")}");

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.OK, entry.StatusCode);
    }

    [Fact]
    public async Task QueryValuesThatDoNotParse_AreIgnored_AndThePageRenders()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        await hub.Services.GetRequiredService<ScenarioStorage>()
            .SetAsync(scenario.WorkspaceId, scenario.Id, "\"order-42\"", "1", null, CancellationToken.None);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var picker = await browser.GetAsync("/storage?scenario=abc");
        var list = await browser.GetAsync($"/storage/{scenario.Id}?skip=abc");

        Assert.Equal(HttpStatusCode.OK, picker.StatusCode);
        Assert.Contains("Pick a scenario", await picker.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains("order-42", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task PutAsync(HttpClient client, Guid scenarioId, string keyJson, string valueJson)
    {
        var response = await client.PutAsync(
            $"/api/v1/scenarios/{scenarioId}/storage?keyJson={Uri.EscapeDataString(keyJson)}", new StringContent(valueJson, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }
}
