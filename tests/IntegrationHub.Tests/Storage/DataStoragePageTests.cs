using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using IntegrationHub.Data;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Storage;

/// <summary>The server-rendered data storage page, read as HTML (the browser tests cover using it).</summary>
public sealed partial class DataStoragePageTests
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
    public async Task PickedEntry_ShowsItsKeyAsWritten_AndDeleteNamesIt()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var api = hub.CreateAdminClient();
        await PutAsync(api, scenario.Id, """{"name":"Müller & Söhne <k>"}""", "1");
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var html = await browser.GetStringAsync($"/storage/{scenario.Id}?key={Uri.EscapeDataString("""{"name":"Müller & Söhne <k>"}""")}");

        // Not the stored form, "{\"name\":\"M\u00FCller \u0026 S\u00F6hne \u003Ck\u003E\"}".
        var key = KeyField().Match(html);
        Assert.True(key.Success, "The page has no Key field.");
        Assert.Equal("""{"name":"Müller & Söhne <k>"}""", WebUtility.HtmlDecode(key.Groups[1].Value));
        Assert.Contains("data-confirm=\"Delete the entry {\"name\":\"Müller & Söhne <k>\"}?\"", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StorageOfAScenarioThatIsNotThere_Answers404_WithTheDoesNotExistCard()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        await ScenarioTestData.CreateScenarioAsync(hub);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await browser.GetAsync($"/storage/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("This scenario does not exist", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Pick a scenario", html, StringComparison.Ordinal);
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

    [Theory, AllDatabases]
    public async Task Page_RendersEveryTime_WhereTheDatabaseAnswersAsynchronously(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        // On PostgreSQL the page rendered once while its first query was on the way, before its form existed: a 500
        // about one time in six.
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            answers.Add((await browser.GetAsync($"/storage/{scenario.Id}")).StatusCode);
        }

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));
    }

    [Fact]
    public async Task SavingAValueOverMaxValueBytes_SaysSo_AndStoresNothing_AndTheListCutsLongValues()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["Storage:MaxValueBytes"] = "1024" });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var api = hub.CreateAdminClient();
        await PutAsync(api, scenario.Id, "\"long\"", $"\"{new string('x', 900)}\"");
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var save = await PageForm.PostAsync(hub, cookie, $"/storage/{scenario.Id}", "save-entry",
            [new("Input.Key", "\"big\""), new("Input.Value", $"\"{new string('x', 1100)}\"")]);
        using var browser = hub.CreateCookieClient(cookie);
        var list = WebUtility.HtmlDecode(await (await browser.GetAsync($"/storage/{scenario.Id}")).Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, save.StatusCode);
        Assert.Contains("at most 1,024 bytes", await save.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/v1/scenarios/{scenario.Id}/storage?keyJson=%22big%22")).StatusCode);
        Assert.Contains($"\"{new string('x', 199)}…", list, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 201), list, StringComparison.Ordinal);
    }

    private static async Task PutAsync(HttpClient client, Guid scenarioId, string keyJson, string valueJson)
    {
        var response = await client.PutAsync(
            $"/api/v1/scenarios/{scenarioId}/storage?keyJson={Uri.EscapeDataString(keyJson)}", new StringContent(valueJson, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [GeneratedRegex("id=\"entry-key\"[^>]*value=\"([^\"]*)\"")]
    private static partial Regex KeyField();
}
