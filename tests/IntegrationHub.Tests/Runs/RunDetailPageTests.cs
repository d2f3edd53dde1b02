using System.Net;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Runs;

/// <summary>The server-rendered run page, read as HTML.</summary>
public sealed class RunDetailPageTests
{
    [Theory, AllDatabases]
    public async Task ALargeRequestAndResult_ShowOnlyTheirStart_WithLinksToDownloadThemWhole(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var result = JsonSerializer.Serialize(Enumerable.Range(0, 100_000).Select(i => new { id = i, name = $"record {i}" }));
        var payload = JsonSerializer.Serialize(new { Body = new { text = new string('x', 300_000) }, RawBody = "", ContentType = "application/json" });
        var large = await AddEndedRunAsync(hub, scenario, payload, result);
        var small = await AddEndedRunAsync(hub, scenario, null, """[{"id":1}]""");
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var page = await browser.GetStringAsync($"/runs/{large}");

        Assert.True(page.Length < 4 * JsonPreview.MaxChars, $"the page is {page.Length:N0} characters");
        Assert.Contains("&quot;name&quot;: &quot;record 0&quot;", page, StringComparison.Ordinal);
        Assert.DoesNotContain("record 99999", page, StringComparison.Ordinal);
        Assert.Contains($"href=\"/api/v1/runs/{large}/result\" download=\"run-{large}-result.json\"", page, StringComparison.Ordinal);
        Assert.Contains($"href=\"/api/v1/runs/{large}/payload\" download=\"run-{large}-request.json\"", page, StringComparison.Ordinal);
        Assert.Contains($"the whole result is about {result.Length / 1048576.0:0.#} MB", page, StringComparison.Ordinal);
        // The links, with the page's own sign-in, give every byte stored.
        Assert.Equal(result, await browser.GetStringAsync($"/api/v1/runs/{large}/result"));
        Assert.Equal(payload, await browser.GetStringAsync($"/api/v1/runs/{large}/payload"));

        var smallPage = await browser.GetStringAsync($"/runs/{small}");
        Assert.Contains("&quot;id&quot;: 1", smallPage, StringComparison.Ordinal);
        Assert.DoesNotContain("Download it whole", smallPage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/api/v1/runs/{small}/payload")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/result")).StatusCode);
    }

    [Fact]
    public async Task AFailedRun_SaysItKeptNoResult_NotThatNoRecordsWereReturned()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        // As a run that failed at its storage target ends: no result stored.
        var runId = await AddEndedRunAsync(hub, scenario, payload: null, result: null, RunStatus.Failed, "The record has no key field 'id'.");
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var page = WebUtility.HtmlDecode(await browser.GetStringAsync($"/runs/{runId}"));

        Assert.Contains("No result: the run failed.", page, StringComparison.Ordinal);
        Assert.DoesNotContain("No records were returned", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASucceededRun_OffersToRunAgain_AskingFirst_AFailedOneToRetry()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var succeeded = await AddEndedRunAsync(hub, scenario, payload: null, result: "[]");
        var failed = await AddEndedRunAsync(hub, scenario, payload: null, result: null, RunStatus.Failed, "Target answered 500.");
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var succeededPage = WebUtility.HtmlDecode(await browser.GetStringAsync($"/runs/{succeeded}"));
        var failedPage = WebUtility.HtmlDecode(await browser.GetStringAsync($"/runs/{failed}"));

        // Its records went out once already: running it again sends them again.
        Assert.Matches("data-confirm=\"[^\"]*target again[^\"]*\">Run again</button>", succeededPage);
        Assert.DoesNotContain(">Retry</button>", succeededPage, StringComparison.Ordinal);
        Assert.Contains(">Retry</button>", failedPage, StringComparison.Ordinal);
        Assert.DoesNotContain("data-confirm", failedPage, StringComparison.Ordinal);
    }

    private static async Task<Guid> AddEndedRunAsync(
        HubHost hub, Scenario scenario, string? payload, string? result, RunStatus status = RunStatus.Succeeded, string? error = null)
    {
        await using var db = await RunsTestData.CreateDbAsync(hub);
        var now = DateTimeOffset.UtcNow;
        var run = new Run
        {
            WorkspaceId = scenario.WorkspaceId,
            ScenarioId = scenario.Id,
            Status = status,
            Trigger = payload is null ? TriggerKind.Manual : TriggerKind.ExternalPost,
            QueuedAt = now,
            AvailableAt = now,
            StartedAt = now,
            FinishedAt = now,
            Attempts = 1,
            MaxAttempts = 1,
            Payload = payload,
            Result = result,
            Error = error,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }
}
