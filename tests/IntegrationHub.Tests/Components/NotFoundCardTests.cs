using System.Net;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;

namespace IntegrationHub.Tests.Components;

/// <summary>Pages that show the "does not exist" card answer 404, for unknown ids and for other workspaces' ids.</summary>
public sealed class NotFoundCardTests
{
    [Theory, AllDatabases]
    public async Task PagesOfAMissingOrOtherWorkspacesScenarioOrRun_Answer404(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var other = new Workspace { Name = "Other " + Guid.NewGuid().ToString("N")[..6], CreatedAt = DateTimeOffset.UtcNow };
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            db.Workspaces.Add(other);
            await db.SaveChangesAsync();
        }
        var otherScenario = await RunsTestData.CreateScenarioAsync(hub, workspaceId: other.Id);
        var otherRun = await RunsTestData.EnqueueAsync(hub, otherScenario);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        foreach (var id in new[] { Guid.NewGuid(), otherScenario.Id, otherRun })
        {
            foreach (var path in new[] { $"/scenarios/{id}/edit", $"/scenarios/{id}/advanced", $"/runs/{id}" })
            {
                var response = await browser.GetAsync(path);

                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
                Assert.Contains("does not exist", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
    }

    // On PostgreSQL a page's query yields, so the page renders once before it has loaded anything, and showed the card
    // then: every page of an existing scenario or run answered 404 there.
    [Theory, AllDatabases]
    public async Task PagesOfAnExistingScenarioAndRun_Answer200(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var run = await RunsTestData.EnqueueAsync(hub, scenario);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        foreach (var path in new[] { $"/scenarios/{scenario.Id}/edit", $"/scenarios/{scenario.Id}/advanced", $"/runs/{run}" })
        {
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(path)).StatusCode);
        }
    }
}
