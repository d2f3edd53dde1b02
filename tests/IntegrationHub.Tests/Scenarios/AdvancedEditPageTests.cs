using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Scenarios;

/// <summary>The server-rendered Advanced edit page, read as HTML (the browser tests cover using it).</summary>
public sealed class AdvancedEditPageTests
{
    private static readonly string[] IdKey = ["id"];
    private static readonly string[] ShopAndIdKey = ["shop", "id"];

    [Fact]
    public async Task TriggerHint_IsBuiltFromTheConfiguredPublicAddress_NotFromTheRequest()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["Hub:PublicUrl"] = "https://hub.example.test/" });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await browser.GetAsync($"/scenarios/{scenario.Id}/advanced");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains($"URL: https://hub.example.test/ExternalData/Accept/{scenario.Id}", html, StringComparison.Ordinal);
        Assert.Contains($"https://hub.example.test/ExternalData/GetCacheData/{scenario.Id}?keyJson=", html, StringComparison.Ordinal);
        Assert.DoesNotContain(hub.BaseAddress.Authority, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowAnonymousHint_SaysGetCacheDataAnswersWithoutCredentialsToo_AsItDoes()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenarioId = await IntegrationHub.Tests.Web.WebSteps.CreateScenarioAsync(hub, new
        {
            name = "Open cache",
            sourceScript = "return [];",
            advanced = new { enableExternalTriggers = true, allowAnonymousTriggers = true },
        });
        var keyJson = Uri.EscapeDataString("{\"id\":1}");
        using (var admin = hub.CreateAdminClient())
        {
            var put = await admin.PutAsync($"/api/v1/scenarios/{scenarioId}/storage?keyJson={keyJson}",
                new StringContent("{\"secret\":true}", System.Text.Encoding.UTF8, "application/json"));
            Assert.True(put.IsSuccessStatusCode, $"Storage PUT answered {(int)put.StatusCode}");
        }
        using var anonymous = hub.CreateHttpClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/ExternalData/GetCacheData/{scenarioId}?keyJson={keyJson}")).StatusCode);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var html = WebUtility.HtmlDecode(await browser.GetStringAsync($"/scenarios/{scenarioId}/advanced"));

        var hint = System.Text.RegularExpressions.Regex.Match(html, "id=\"allow-anonymous-hint\"[^>]*>([^<]*)<");
        Assert.True(hint.Success, "The page has no hint for Allow Anonymous Triggers.");
        Assert.Contains("read its data storage with GetCacheData", hint.Groups[1].Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TriggerHint_OfADisabledScenario_SaysTriggersAnswer409UntilItIsEnabled()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var disabled = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(enabled: false));
        var enabled = await ScenarioTestData.CreateScenarioAsync(hub);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var disabledPage = await browser.GetStringAsync($"/scenarios/{disabled.Id}/advanced");
        var enabledPage = await browser.GetStringAsync($"/scenarios/{enabled.Id}/advanced");

        Assert.Contains("data-testid=\"disabled-hint\"", disabledPage, StringComparison.Ordinal);
        Assert.DoesNotContain("data-testid=\"disabled-hint\"", enabledPage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CacheExample_FollowedAsShown_ReadsWhatThePostExampleStored()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var (scenarioId, html) = await StorageScenarioPageAsync(hub, IdKey, allowAnonymous: true);
        using var anonymous = hub.CreateHttpClient();

        var posted = await anonymous.PostAsync($"/ExternalData/Accept/{scenarioId}?wait=30", JsonContent.Create(new { id = 42, total = 99.5 }));
        var cacheUrl = System.Text.RegularExpressions.Regex.Match(html, "id=\"cache-example\">curl \"([^\"]+)\"([^<]*)</pre>");
        var read = await anonymous.GetAsync(new Uri(cacheUrl.Groups[1].Value).PathAndQuery);

        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.True(cacheUrl.Success, "The page shows no GetCacheData example.");
        Assert.Equal("", cacheUrl.Groups[2].Value);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(99.5, (await read.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("total").GetDouble());
    }

    [Fact]
    public async Task CacheExample_ForSeveralKeyFields_ShowsAnObjectOfThem()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);

        var (scenarioId, html) = await StorageScenarioPageAsync(hub, ShopAndIdKey, allowAnonymous: false);

        Assert.Contains($"GetCacheData/{scenarioId}?keyJson={Uri.EscapeDataString("{\"shop\":42,\"id\":42}")}\" \\\n  -H \"Authorization: Bearer <token>\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Save_WithStaleVersion_SaysSomeoneElseSaved_NotThatTheScenarioWasDeleted()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateStaleScenarioAsync(hub);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await PageForm.PostAsync(hub, cookie, $"/scenarios/{scenario.Id}/advanced", "advanced", Fields(scenario.Version, timeout: "120"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("Someone else saved this scenario meanwhile", html, StringComparison.Ordinal);
        Assert.DoesNotContain("no longer exists", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Save_WithNumbersItCannotRead_ShowsFieldErrorsAndSavesNothing()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await PageForm.PostAsync(hub, cookie, $"/scenarios/{scenario.Id}/advanced", "advanced",
            Fields(scenario.Version, timeout: "abc", attempts: "99999999999"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains($"Enter a whole number from 1 to {ScenarioLimits.TimeoutSecondsMax}.", html, StringComparison.Ordinal);
        Assert.Contains($"Enter a whole number from 1 to {ScenarioLimits.MaxAttemptsMax}.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Advanced settings saved", html, StringComparison.Ordinal);
        using var admin = hub.CreateAdminClient();
        var stored = await admin.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{scenario.Id}", TestJson.Options);
        Assert.Equal(scenario.Version, stored!.Version);
    }

    [Fact]
    public async Task AnOperator_SeesTheTriggerUrlToCall_ButCannotChangeTheSettings()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var admin = hub.CreateAdminClient();
        var operatorUser = await admin.CreateUserAsync(IntegrationHub.Identity.UserRole.Operator);
        var cookie = await hub.SignInCookieAsync(operatorUser.Email);
        using var browser = hub.CreateCookieClient(cookie);

        var html = WebUtility.HtmlDecode(await browser.GetStringAsync($"/scenarios/{scenario.Id}/advanced"));
        var posted = await PageForm.PostAsync(hub, cookie, $"/scenarios/{scenario.Id}/advanced", "advanced", Fields(scenario.Version, timeout: "5"));

        Assert.Contains($"/ExternalData/Accept/{scenario.Id}", html, StringComparison.Ordinal);
        Assert.Contains("<fieldset disabled", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Save advanced settings", html, StringComparison.Ordinal);
        Assert.Contains("Your role may not change scenarios.", WebUtility.HtmlDecode(await posted.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        var stored = await admin.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{scenario.Id}", TestJson.Options);
        Assert.Equal(300, stored!.Advanced.TimeoutSeconds);
    }

    [Fact]
    public async Task AViewer_IsToldTriggeringTakesTheOperatorRole_AndShownOnlyHowToReadStorage()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var admin = hub.CreateAdminClient();
        var viewer = await admin.CreateUserAsync(IntegrationHub.Identity.UserRole.Viewer);
        using var browser = await hub.SignInAsync(viewer.Email);

        var html = WebUtility.HtmlDecode(await browser.GetStringAsync($"/scenarios/{scenario.Id}/advanced"));

        Assert.Contains("triggering it takes the Operator role", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"post-example\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"cache-example\"", html, StringComparison.Ordinal);
    }

    internal static Dictionary<string, string> Fields(int version, string timeout = "300", string attempts = "3") => new()
    {
        ["Input.Version"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Input.TimeoutSeconds"] = timeout,
        ["Input.MaxAttempts"] = attempts,
        ["Input.MaxConcurrentRuns"] = "1",
        ["Input.MaxQueuedRuns"] = "1000",
        ["Input.EnableExternalTriggers"] = "true",
    };

    /// <summary>A scenario storing each posted body under <paramref name="keyFields"/>, and its Advanced page as the admin reads it.</summary>
    private static async Task<(Guid ScenarioId, string Html)> StorageScenarioPageAsync(HubHost hub, string[] keyFields, bool allowAnonymous)
    {
        var scenarioId = await IntegrationHub.Tests.Web.WebSteps.CreateScenarioAsync(hub, new
        {
            name = "Orders in",
            sourceScript = "return data.map(d => d.Body);",
            target = new { type = "storage", keyFields },
            advanced = new { enableExternalTriggers = true, allowAnonymousTriggers = allowAnonymous },
        });
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        return (scenarioId, WebUtility.HtmlDecode(await browser.GetStringAsync($"/scenarios/{scenarioId}/advanced")));
    }
}
