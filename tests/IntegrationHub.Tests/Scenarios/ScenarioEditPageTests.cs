using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Scenarios;

/// <summary>The server-rendered Edit page's form, posted over HTTP (the browser tests cover using it).</summary>
public sealed class ScenarioEditPageTests
{
    [Fact]
    public async Task Save_WithStaleVersion_SaysSomeoneElseSaved_NotThatTheScenarioWasDeleted()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateStaleScenarioAsync(hub);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await PageForm.PostAsync(hub, cookie, $"/scenarios/{scenario.Id}/edit", "edit-scenario", Fields(scenario));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("Someone else saved this scenario meanwhile", html, StringComparison.Ordinal);
        Assert.DoesNotContain("no longer exists", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Save_WithAHeaderLineWithoutName_ShowsTheErrorUnderTheHeadersField()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);

        var response = await PostAsAdminAsync(hub, scenario, f =>
        {
            f["Input.TargetType"] = "http";
            f["Input.TargetUrl"] = "http://example.test/";
            f["Input.TargetHeaders"] = ": empty";
        });

        Assert.Contains("id=\"target.headers-error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Save_WithFieldsLeftOverFromAnotherType_Saves_WithoutThem_AsTheyAreHidden()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        // The source is none and the target storage: the page hides the http fields, so their errors marked nothing,
        // and what was typed there before the type changed is not saved either.
        var response = await PageForm.PostAsync(hub, cookie, $"/scenarios/{scenario.Id}/edit", "edit-scenario", Fields(scenario, f =>
        {
            f["Input.SourceUrl"] = "bad url";
            f["Input.SourceHeaders"] = ": empty";
            f["Input.TargetUrl"] = "http://example.test/";
            f["Input.TargetHeaders"] = "Bad Name: 1";
        }));
        using var admin = hub.CreateAdminClient();
        var saved = await admin.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{scenario.Id}", TestJson.Options);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal((null, null), (saved!.Source.Url, saved.Source.Headers));
        Assert.Equal((null, null), (saved.Target.Url, saved.Target.Headers));
    }

    [Fact]
    public async Task Save_WithAHeaderLineWithoutColon_SaysSoUnderTheHeadersField_AndSavesNothing()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);

        var response = await PostAsAdminAsync(hub, scenario, f =>
        {
            f["Input.SourceType"] = "http";
            f["Input.SourceUrl"] = "http://example.test/orders";
            f["Input.SourceHeaders"] = "Authorization: Bearer abc\nNoColonHere";
        });
        using var admin = hub.CreateAdminClient();
        var stored = await admin.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{scenario.Id}", TestJson.Options);

        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("\"NoColonHere\" has no colon", html, StringComparison.Ordinal);
        Assert.Contains("id=\"source.headers-error\"", html, StringComparison.Ordinal);
        Assert.Equal(scenario.Version, stored!.Version);
    }

    [Theory]
    [InlineData("*/1 * * *", "", "this one has 4")]
    [InlineData("0 9 * * *", "Mars/Olympus", "Unknown time zone 'Mars/Olympus'.")]
    public async Task PreviewSchedule_OfWhatCannotRun_SaysWhatIsWrong(string cron, string timeZone, string expected)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await PageForm.PostAsync(hub, cookie, $"/scenarios/{scenario.Id}/edit", "edit-scenario", Fields(scenario, f =>
        {
            f["Input.Cron"] = cron;
            f["Input.TimeZone"] = timeZone;
            f["Action"] = "preview";
        }));

        Assert.Contains(expected, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UserRole.Viewer)]
    [InlineData(UserRole.Operator)]
    public async Task ThoseWhoMayNotEdit_SeeTheScenarioReadOnly_WithoutHeaderValues_AndCannotSaveIt(UserRole role)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(change: json =>
            json["target"] = new JsonObject
            {
                ["type"] = "http",
                ["url"] = "http://erp.example.test/orders",
                ["headers"] = new JsonObject { ["X-Api-Key"] = "secret-erp-key" },
            }));
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(role);
        var cookie = await hub.SignInCookieAsync(user.Email);
        using var browser = hub.CreateCookieClient(cookie);

        var html = WebUtility.HtmlDecode(await browser.GetStringAsync($"/scenarios/{scenario.Id}"));
        var denied = await browser.GetAsync("/scenarios/new");
        var posted = await PageForm.PostAsync(hub, cookie, $"/scenarios/{scenario.Id}", "edit-scenario", Fields(scenario, f => f["Input.Name"] = "Renamed"));

        Assert.Contains(scenario.SourceScript, html, StringComparison.Ordinal);
        Assert.Contains("<fieldset disabled", html, StringComparison.Ordinal);
        Assert.Contains("X-Api-Key: (hidden)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-erp-key", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Save changes", html, StringComparison.Ordinal);
        // An empty field's example would read as its value.
        Assert.DoesNotContain("https://api.example.com/orders", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Found, denied.StatusCode);
        Assert.Equal("/account/denied", denied.Headers.Location?.AbsolutePath);
        Assert.Contains("Your role may not change scenarios.", WebUtility.HtmlDecode(await posted.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        var stored = await admin.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{scenario.Id}", TestJson.Options);
        Assert.Equal(scenario.Name, stored!.Name);
        Assert.Equal("secret-erp-key", stored.Target.Headers!["X-Api-Key"]);
    }

    [Fact]
    public void HeaderLinesOfOneName_AreJoinedByCommas_NotReplacedByTheLast()
    {
        var headers = ScenarioEditForm.ParseHeaders("X-Tag: a\nAccept: application/json\nx-tag: b");

        Assert.Equal(2, headers!.Count);
        Assert.Equal("a, b", headers["X-Tag"]);
        Assert.Equal("application/json", headers["Accept"]);
    }

    private static async Task<HttpResponseMessage> PostAsAdminAsync(HubHost hub, ScenarioResponse scenario, Action<Dictionary<string, string>> change)
    {
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        var response = await PageForm.PostAsync(hub, cookie, $"/scenarios/{scenario.Id}/edit", "edit-scenario", Fields(scenario, change));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    /// <summary>The form as the page shows <paramref name="scenario"/>, with <paramref name="change"/> applied.</summary>
    private static Dictionary<string, string> Fields(ScenarioResponse scenario, Action<Dictionary<string, string>>? change = null)
    {
        var form = ScenarioEditForm.From(scenario);
        var fields = new Dictionary<string, string>
        {
            ["Input.Name"] = form.Name ?? "",
            ["Input.Description"] = form.Description ?? "",
            ["Input.Enabled"] = form.Enabled ? "true" : "false",
            ["Input.SourceType"] = form.SourceType ?? "",
            ["Input.SourceUrl"] = form.SourceUrl ?? "",
            ["Input.SourceHeaders"] = form.SourceHeaders ?? "",
            ["Input.SourceScript"] = form.SourceScript ?? "",
            ["Input.TargetType"] = form.TargetType ?? "",
            ["Input.TargetUrl"] = form.TargetUrl ?? "",
            ["Input.TargetMethod"] = form.TargetMethod ?? "",
            ["Input.TargetHeaders"] = form.TargetHeaders ?? "",
            ["Input.TargetKeyFields"] = form.TargetKeyFields ?? "",
            ["Input.Cron"] = form.Cron ?? "",
            ["Input.TimeZone"] = form.TimeZone ?? "",
            ["Input.Version"] = scenario.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        change?.Invoke(fields);
        return fields;
    }
}
