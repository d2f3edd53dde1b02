using System.Net;
using IntegrationHub.Data;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Storage;

/// <summary>The server-rendered data storage page, read as HTML: query values it must survive.</summary>
public sealed class DataStoragePageTests
{
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
}
