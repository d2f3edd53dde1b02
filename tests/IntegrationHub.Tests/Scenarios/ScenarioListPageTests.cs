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
    public async Task ScenarioName_LeadsToEditOnlyForThoseWhoMayEdit_OthersToItsRuns(UserRole role, bool leadsToEdit)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(role);
        using var browser = await hub.SignInAsync(user.Email);

        var html = WebUtility.HtmlDecode(await browser.GetStringAsync("/scenarios"));

        Assert.Equal(leadsToEdit, html.Contains($"href=\"/scenarios/{scenario.Id}/edit\"", StringComparison.Ordinal));
        Assert.Contains($"href=\"/runs?scenario={scenario.Id}\"", html, StringComparison.Ordinal);
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

    /// <summary>The table row of the scenario named <paramref name="name"/>.</summary>
    private static string RowOf(string html, string name) =>
        Assert.Single(Regex.Matches(html, "<tr[\\s>].*?</tr>", RegexOptions.Singleline), row => row.Value.Contains($"Actions for {name}\"", StringComparison.Ordinal)).Value;
}
