using System.Net;
using IntegrationHub.Data;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Runs;

/// <summary>The server-rendered run history page, read as HTML: query values it must survive.</summary>
public sealed class RunHistoryPageTests
{
    [Fact]
    public async Task QueryValuesThatDoNotParse_AreIgnored_AndThePageRenders()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        var (runId, browser) = await OneRunAsync(hub);
        using var _ = browser;

        foreach (var query in new[] { "page=abc", "page=99999999999", "page=-5", "scenario=abc" })
        {
            var response = await browser.GetAsync($"/runs?{query}");

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {response.StatusCode}");
            Assert.Contains($"data-run=\"{runId}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    // The filter read "All scenarios" above an empty list, which looked like no runs at all.
    [Fact]
    public async Task AScenarioFilterOfAScenarioThatIsGone_SaysSo_AndListsNothing()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        var (runId, browser) = await OneRunAsync(hub);
        using var _ = browser;
        var gone = Guid.NewGuid();

        var html = WebUtility.HtmlDecode(await browser.GetStringAsync($"/runs?scenario={gone}"));

        Assert.Contains($"<option value=\"{gone}\" selected>A scenario that does not exist (deleted?)</option>", html, StringComparison.Ordinal);
        Assert.DoesNotContain($"data-run=\"{runId}\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("from=0001-01-01T00:00&tz=Asia/Tokyo", true)]
    [InlineData("to=9999-12-31T23:59&tz=America/New_York", true)]
    [InlineData("from=9999-12-31T23:59&tz=America/New_York", false)]
    [InlineData("to=0001-01-01T00:00&tz=Asia/Tokyo", false)]
    public async Task TimeBoundsAtTheCalendarsEdge_AreClampedToIt(string query, bool listsTheRun)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        var (runId, browser) = await OneRunAsync(hub);
        using var _ = browser;

        var response = await browser.GetAsync($"/runs?{query}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(listsTheRun, (await response.Content.ReadAsStringAsync()).Contains($"data-run=\"{runId}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APagePastTheEnd_IsEmpty_EvenWhenItsOffsetPassesIntMaxValue()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        var (runId, browser) = await OneRunAsync(hub);
        using var _ = browser;

        foreach (var page in new[] { 2, 43_000_000, int.MaxValue })
        {
            var response = await browser.GetAsync($"/runs?page={page}");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain($"data-run=\"{runId}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task APagePastTheEnd_SaysThereAreNoRunsOnIt_AndLinksToPageOne_NotThatThereAreNoRunsYet()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        var (_, browser) = await OneRunAsync(hub);
        using var _ = browser;

        var page = WebUtility.HtmlDecode(await browser.GetStringAsync("/runs?page=99999"));

        Assert.Contains("No runs on page 99999", page, StringComparison.Ordinal);
        Assert.Matches("<a class=\"btn\" href=\"[^\"]*/runs\\?page=1\">Go to page 1</a>", page);
        Assert.DoesNotContain("No runs yet", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FiltersThatAreNotUnderstood_AreNamed_AndAFromLaterThanUntil_IsPointedOut()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        var (runId, browser) = await OneRunAsync(hub);
        using var _ = browser;

        var unreadable = WebUtility.HtmlDecode(await browser.GetStringAsync("/runs?status=Bogus&from=garbage"));
        var reversed = WebUtility.HtmlDecode(await browser.GetStringAsync("/runs?from=2026-02-01T00:00&to=2026-01-01T00:00"));

        Assert.Contains("These filters were not understood and not applied: Status “Bogus”, Queued from “garbage”.", unreadable, StringComparison.Ordinal);
        Assert.Contains($"data-run=\"{runId}\"", unreadable, StringComparison.Ordinal);
        Assert.Contains("“Queued from” is later than “Queued until”", reversed, StringComparison.Ordinal);
        Assert.DoesNotContain("not understood", reversed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePage_SaysHowLongEndedRunsAreKept()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>(RunsTestData.NoWorkers)
        {
            ["Housekeeping:RunRetention"] = "90.00:00:00",
        });
        var (_, browser) = await OneRunAsync(hub);
        using var _ = browser;

        var page = await browser.GetStringAsync("/runs");

        Assert.Contains("Ended runs are kept for 90 days after they were queued.", page, StringComparison.Ordinal);
    }

    /// <summary>One queued run in the admin's workspace, and a browser signed in as the admin.</summary>
    private static async Task<(Guid RunId, HttpClient Browser)> OneRunAsync(HubHost hub)
    {
        var runId = await RunsTestData.EnqueueAsync(hub, await RunsTestData.CreateScenarioAsync(hub));
        return (runId, await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword));
    }
}
