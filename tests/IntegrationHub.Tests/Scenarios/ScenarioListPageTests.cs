using System.Net;
using System.Text.RegularExpressions;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Tests.Scenarios;

/// <summary>The server-rendered scenario list, read as HTML (the browser tests cover using it).</summary>
public sealed class ScenarioListPageTests
{
    [Theory]
    [InlineData(UserRole.Viewer, false)]
    [InlineData(UserRole.Operator, false)]
    [InlineData(UserRole.Editor, true)]
    public async Task ScenarioName_LeadsToEditForThoseWhoMayEdit_OthersToItsReadOnlyPage(UserRole role, bool leadsToEdit)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(role);
        using var browser = await hub.SignInAsync(user.Email);

        var html = WebUtility.HtmlDecode(await browser.GetStringAsync("/scenarios"));

        Assert.Equal(leadsToEdit, html.Contains($"href=\"/scenarios/{scenario.Id}/edit\"", StringComparison.Ordinal));
        Assert.Equal(!leadsToEdit, html.Contains($"href=\"/scenarios/{scenario.Id}\"", StringComparison.Ordinal));
        Assert.Contains($"href=\"/runs?scenario={scenario.Id}\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Confirmation_ShowsWhatTheHubWroteAfterAChange_NeverTextTypedIntoTheAddress()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson("Old orders"));
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        using var browser = hub.CreateCookieClient(cookie);

        var deleted = await PageForm.PostAsync(hub, cookie, "/scenarios", $"delete-{scenario.Id}", []);
        var afterDelete = WebUtility.HtmlDecode(await browser.GetStringAsync(deleted.Headers.Location ?? deleted.RequestMessage!.RequestUri!));
        var spoofed = WebUtility.HtmlDecode(await browser.GetStringAsync("/scenarios?message=Your%20account%20is%20locked.%20Call%20555-0100"));

        Assert.Contains("Deleted “Old orders”.", afterDelete, StringComparison.Ordinal);
        Assert.DoesNotContain("Your account is locked", spoofed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duplicate_CreatesADisabledCopy_AndThePageItLeadsToSaysItIsDisabled()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var original = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson("Orders in"));
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var posted = await PageForm.PostAsync(hub, cookie, "/scenarios", $"duplicate-{original.Id}", []);
        using var browser = hub.CreateCookieClient(cookie);
        var landing = WebUtility.HtmlDecode(await browser.GetStringAsync(posted.Headers.Location ?? posted.RequestMessage!.RequestUri!));
        await using var db = await RunsTestData.CreateDbAsync(hub);
        var copy = await db.Scenarios.SingleAsync(s => s.Id != original.Id);

        Assert.False(copy.Enabled);
        Assert.NotEqual("Orders in", copy.Name);
        Assert.Contains("Copy created, disabled", landing, StringComparison.Ordinal);
        Assert.DoesNotContain("Scenario created.", landing, StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task LastRunColumn_ShowsEachScenariosNewestRun_NeverRun_OrNoRecentRunsOnceTheyAreDeleted(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var busy = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson("Busy"));
        await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson("Idle"));
        var old = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson("Old"));
        using var admin = hub.CreateAdminClient();
        var busyRuns = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var response = await admin.GetAsync($"/ExternalData/Accept/{busy.Id}");
            busyRuns.Add(Assert.Single(response.Headers.GetValues("X-Run-Id")));
        }
        var oldRun = Guid.Parse(Assert.Single((await admin.GetAsync($"/ExternalData/Accept/{old.Id}")).Headers.GetValues("X-Run-Id")));
        // As housekeeping deletes runs past their retention.
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            await db.Runs.Where(r => r.Id == oldRun).ExecuteDeleteAsync();
        }

        var html = WebUtility.HtmlDecode(await admin.GetStringAsync("/scenarios"));

        var busyRow = RowOf(html, "Busy");
        Assert.Contains($"href=\"/runs/{busyRuns[^1]}\"", busyRow, StringComparison.Ordinal);
        Assert.Contains(">Queued<", busyRow, StringComparison.Ordinal);
        Assert.DoesNotContain($"href=\"/runs/{busyRuns[0]}\"", busyRow, StringComparison.Ordinal);
        Assert.Contains("Never run", RowOf(html, "Idle"), StringComparison.Ordinal);
        Assert.Contains("No recent runs", RowOf(html, "Old"), StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/runs/", RowOf(html, "Old"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWorkspaceWithManyScenarios_IsListedPageByPage_WithTheSearchKept()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        // 150 matching "Orders" and 60 that do not, created straight in the database: through the API this took minutes.
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            var workspace = await db.Workspaces.Select(w => w.Id).SingleAsync();
            for (var i = 0; i < 210; i++)
            {
                db.Scenarios.Add(new IntegrationHub.Scenarios.Scenario
                {
                    WorkspaceId = workspace,
                    Name = i < 150 ? $"Orders {i:D3}" : $"Invoices {i:D3}",
                    SourceScript = "return data;",
                    CreatedAt = DateTimeOffset.UtcNow,
                });
            }
            await db.SaveChangesAsync();
        }
        using var admin = hub.CreateAdminClient();

        var first = WebUtility.HtmlDecode(await admin.GetStringAsync("/scenarios?q=Orders"));
        var second = WebUtility.HtmlDecode(await admin.GetStringAsync("/scenarios?q=Orders&page=2"));
        var past = WebUtility.HtmlDecode(await admin.GetStringAsync("/scenarios?q=Orders&page=9"));

        Assert.Contains("150 scenarios", first, StringComparison.Ordinal);
        Assert.Equal(100, Regex.Count(first, "Actions for Orders"));
        Assert.Contains("Actions for Orders 099\"", first, StringComparison.Ordinal);
        Assert.Matches("href=\"[^\"]*/scenarios\\?q=Orders&page=2\"", first);
        Assert.Equal(50, Regex.Count(second, "Actions for Orders"));
        Assert.Contains("Actions for Orders 149\"", second, StringComparison.Ordinal);
        Assert.DoesNotContain("Invoices", second, StringComparison.Ordinal);
        Assert.Matches("href=\"[^\"]*/scenarios\\?q=Orders\"", second);
        Assert.Contains("No scenarios on page 9", past, StringComparison.Ordinal);
    }

    /// <summary>The table row of the scenario named <paramref name="name"/>.</summary>
    private static string RowOf(string html, string name) =>
        Assert.Single(Regex.Matches(html, "<tr[\\s>].*?</tr>", RegexOptions.Singleline), row => row.Value.Contains($"Actions for {name}\"", StringComparison.Ordinal)).Value;
}
