using System.Net;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;

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
}
