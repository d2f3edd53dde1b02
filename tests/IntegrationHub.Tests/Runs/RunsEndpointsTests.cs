using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Storage;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scenarios;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Tests.Runs;

public sealed class RunsEndpointsTests
{
    [Theory, AllDatabases]
    public async Task RunNow_Returns202_AndTheRunCanBeFollowedToSucceeded(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.PostAsync($"/api/v1/scenarios/{scenario.Id}/runs", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<RunDetails>(TestJson.Options);
        Assert.NotNull(accepted);
        Assert.Equal(TriggerKind.Manual, accepted.Trigger);
        Assert.Equal($"/api/v1/runs/{accepted.Id}", response.Headers.Location?.OriginalString);

        RunDetails? run;
        var deadline = DateTime.UtcNow.AddMinutes(1);
        do
        {
            run = await client.GetFromJsonAsync<RunDetails>($"/api/v1/runs/{accepted.Id}", TestJson.Options);
        }
        while (run?.Status != RunStatus.Succeeded && DateTime.UtcNow < deadline);
        Assert.Equal(RunStatus.Succeeded, run?.Status);
        Assert.Equal(1, run!.Attempts);
        Assert.NotNull(run.StartedAt);
        Assert.NotNull(run.FinishedAt);
        Assert.NotEmpty(run.Log);
        Assert.All(run.Log, line => Assert.False(string.IsNullOrEmpty(line.Message)));
        Assert.Null(run.Error);
    }

    [Theory, AllDatabases]
    public async Task RunOfABodyNestedAsDeepAsAcceptAllows_Succeeds_AndItsRunAndStoredValueCanBeRead(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.SourceScript = "storage.set('deep', data[0].Body);\nreturn data;");
        using var client = hub.CreateAdminClient();
        var body = new string('[', HubJson.MaxValueDepth) + "1" + new string(']', HubJson.MaxValueDepth);
        var payload = $$"""{"Body":{{body}},"RawBody":"","ContentType":"application/json","Headers":{},"Query":{},"ReceivedAt":"2026-11-29T08:00:00+00:00"}""";

        var runId = await RunsTestData.EnqueueAsync(hub, scenario, payload);
        await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 1, r => r.Status is RunStatus.Succeeded or RunStatus.Failed);
        var run = await client.GetAsync($"/api/v1/runs/{runId}");
        var stored = await client.GetAsync($"/api/v1/scenarios/{scenario.Id}/storage?keyJson=%22deep%22");

        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        using var details = JsonDocument.Parse(await run.Content.ReadAsStringAsync(), HubJson.DocumentOptions);
        Assert.Equal("Succeeded", details.RootElement.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        Assert.Equal(body, await stored.Content.ReadAsStringAsync());
    }

    [Theory, AllDatabases]
    public async Task ScriptErrorHoldingAnUnpairedSurrogateOrNul_StillEndsTheRunAsFailed(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateAdminClient();
        // Neither fits in PostgreSQL's text: the outcome's write failed, and the run stayed Running until its lease ran out.
        var scripts = new[]
        {
            ("console.log('half \\ud800 a pair');\nthrow new Error('half \\udc00 a pair');", "half \ufffd a pair"),
            ("console.log('a \\0 in the log');\nthrow new Error('a \\0 in the error');", "a \ufffd in the error"),
        };

        foreach (var (script, expected) in scripts)
        {
            var scenario = await RunsTestData.CreateScenarioAsync(hub, s =>
            {
                s.SourceScript = script;
                s.MaxAttempts = 1;
            });
            var runId = await RunsTestData.EnqueueAsync(hub, scenario);
            await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 1, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, timeoutSeconds: 60);
            var run = await client.GetFromJsonAsync<RunDetails>($"/api/v1/runs/{runId}", TestJson.Options);

            Assert.Equal(RunStatus.Failed, run!.Status);
            Assert.Contains(expected, run.Error!.Message, StringComparison.Ordinal);
        }
    }

    [Theory, AllDatabases]
    public async Task StorageKeyLongerThanAKeyMayBe_FailsTheRunSayingSo_FromTheScriptOrTheStorageTarget(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateAdminClient();
        // On PostgreSQL such a key failed the outcome's write (the unique index takes at most 2,704 bytes an entry), and
        // the run stayed Running until its lease ran out.
        var longKey = "'" + StorageEndpointsTests.RandomLetters(StorageKey.MaxBytes) + "'";
        var scripts = new[]
        {
            // The script's error points at the call; the target's is not the script's.
            ($"storage.set({longKey}, 1); return [];", "none", (int?)1),
            ($"return [{{ id: {longKey} }}];", "storage", null),
        };

        foreach (var (script, target, line) in scripts)
        {
            var scenario = await RunsTestData.CreateScenarioAsync(hub, s =>
            {
                s.SourceScript = script;
                s.Target = new TargetSettings(target, KeyFields: target == "storage" ? ["id"] : null);
                s.MaxAttempts = 1;
            });
            var runId = await RunsTestData.EnqueueAsync(hub, scenario);
            await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 1, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, timeoutSeconds: 60);
            var run = await client.GetFromJsonAsync<RunDetails>($"/api/v1/runs/{runId}", TestJson.Options);

            Assert.Equal(RunStatus.Failed, run!.Status);
            Assert.Contains($"at most {StorageKey.MaxBytes:N0} bytes", run.Error!.Message, StringComparison.Ordinal);
            Assert.Equal(line, run.Error.Line);
        }
    }

    [Theory, AllDatabases]
    public async Task ListRuns_OfAScenario_ListsItsRunsInEveryStatus_NewestFirst(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var other = await RunsTestData.CreateScenarioAsync(hub);
        // Each status is read through an index of its own on PostgreSQL: a status missed there would be missing here.
        var runs = await RunsTestData.AddRunsAsync(hub, scenario, Enum.GetValues<RunStatus>());
        await RunsTestData.AddRunsAsync(hub, other, Enum.GetValues<RunStatus>());
        using var client = hub.CreateAdminClient();

        var page = await client.GetFromJsonAsync<RunPage>($"/api/v1/runs?scenarioId={scenario.Id}", TestJson.Options);

        Assert.Equal(runs.Select(r => r.Id).Reverse(), page!.Items.Select(r => r.Id));
        Assert.Equal(Enum.GetValues<RunStatus>().Length, page.Total);
    }

    [Theory, AllDatabases]
    public async Task ListRuns_NewestFirst_FilteredAndPaged(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var other = await RunsTestData.CreateScenarioAsync(hub);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await RunsTestData.EnqueueAsync(hub, scenario));
        }
        await RunsTestData.EnqueueAsync(hub, other);
        using var client = hub.CreateAdminClient();

        var page1 = await client.GetFromJsonAsync<RunPage>($"/api/v1/runs?scenarioId={scenario.Id}&page=1&pageSize=2", TestJson.Options);
        var page3 = await client.GetFromJsonAsync<RunPage>($"/api/v1/runs?scenarioId={scenario.Id}&page=3&pageSize=2", TestJson.Options);
        var queued = await client.GetFromJsonAsync<RunPage>($"/api/v1/runs?status=queued&trigger=Manual", TestJson.Options);
        var succeeded = await client.GetFromJsonAsync<RunPage>($"/api/v1/runs?status=Succeeded", TestJson.Options);

        Assert.Equal((5, true), (page1!.Total, page1.TotalIsExact));
        Assert.Equal([ids[4], ids[3]], page1.Items.Select(r => r.Id));
        Assert.Equal([ids[0]], page3!.Items.Select(r => r.Id));
        Assert.Equal(6, queued!.Total);
        Assert.Equal(0, succeeded!.Total);
    }

    [Theory, AllDatabases]
    public async Task ListRuns_OfAScenario_InterleavesItsQueuedRunningAndEndedRunsNewestFirst(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var other = await RunsTestData.CreateScenarioAsync(hub);
        // Runs of every status, interleaved in time: the pages follow arrival, whatever the status.
        var runs = await RunsTestData.AddRunsAsync(hub, scenario,
            [RunStatus.Succeeded, RunStatus.Running, RunStatus.Failed, RunStatus.Queued, RunStatus.Cancelled, RunStatus.Succeeded, RunStatus.Queued]);
        await RunsTestData.AddRunsAsync(hub, other, [RunStatus.Succeeded, RunStatus.Queued]);
        using var client = hub.CreateAdminClient();

        var pages = new List<RunPage>();
        for (var page = 1; page <= 4; page++)
        {
            pages.Add((await client.GetFromJsonAsync<RunPage>($"/api/v1/runs?scenarioId={scenario.Id}&page={page}&pageSize=2", TestJson.Options))!);
        }
        var succeeded = await client.GetFromJsonAsync<RunPage>($"/api/v1/runs?scenarioId={scenario.Id}&status=Succeeded", TestJson.Options);

        Assert.Equal(runs.Select(r => r.Id).Reverse(), pages.SelectMany(p => p.Items).Select(r => r.Id));
        Assert.All(pages, p => Assert.Equal((7, true), (p.Total, p.TotalIsExact)));
        Assert.Equal([runs[5].Id, runs[0].Id], succeeded!.Items.Select(r => r.Id));
    }

    [Theory, AllDatabases]
    public async Task ListRuns_PastTenThousandMatches_CountsNoFurther_ButToTheEndOfTheAskedPage(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var oldest = (await RunsTestData.AddRunsAsync(hub, scenario, Enumerable.Repeat(RunStatus.Succeeded, 10_005)))[0];
        using var client = hub.CreateAdminClient();

        var first = await client.GetFromJsonAsync<RunPage>("/api/v1/runs?pageSize=5", TestJson.Options);
        var pastTheCount = await client.GetFromJsonAsync<RunPage>("/api/v1/runs?pageSize=5&page=2001", TestJson.Options);

        Assert.Equal((10_000, false), (first!.Total, first.TotalIsExact));
        Assert.Equal(5, first.Items.Count);
        Assert.Equal((10_005, true), (pastTheCount!.Total, pastTheCount.TotalIsExact));
        Assert.Equal(5, pastTheCount.Items.Count);
        Assert.Equal(oldest.Id, pastTheCount.Items[^1].Id);
    }

    [Theory, AllDatabases]
    public async Task ListRuns_PageFarPastTheEnd_IsEmpty(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        await RunsTestData.EnqueueAsync(hub, scenario);
        using var client = hub.CreateAdminClient();

        // (page - 1) * pageSize is past int.MaxValue here; wrapped around, it pointed back at the first page.
        var last = await client.GetFromJsonAsync<RunPage>($"/api/v1/runs?page={int.MaxValue}&pageSize=200", TestJson.Options);

        Assert.Empty(last!.Items);
        Assert.Equal(1, last.Total);
        Assert.Equal(int.MaxValue, last.Page);
    }

    [Theory]
    [InlineData("status=Sleeping")]
    [InlineData("status=3")]
    [InlineData("trigger=0")]
    [InlineData("trigger=Telepathy")]
    [InlineData("page=0")]
    [InlineData("pageSize=100000")]
    public async Task ListRuns_WithBadFilter_Returns400Problem(string query)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        using var client = hub.CreateAdminClient();

        var response = await client.GetAsync($"/api/v1/runs?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>();
        Assert.NotEmpty(problem!.Errors);
    }

    [Theory, AllDatabases]
    public async Task RunNow_WhenQueueIsFull_Returns429WithTheConfiguredRetryAfter(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?>(RunsTestData.NoWorkers) { ["Runs:QueueFullRetryAfterSeconds"] = "7" });
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxQueuedRuns = 1);
        using var client = hub.CreateAdminClient();

        var first = await client.PostAsync($"/api/v1/scenarios/{scenario.Id}/runs", null);
        var second = await client.PostAsync($"/api/v1/scenarios/{scenario.Id}/runs", null);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), second.Headers.RetryAfter?.Delta);
        await ProblemAssert.AssertCompleteProblemAsync(second);
    }

    [Theory, AllDatabases]
    public async Task Cancel_QueuedRun_IsCancelled_AndCannotBeCancelledTwice(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        using var client = hub.CreateAdminClient();

        var cancel = await client.PostAsync($"/api/v1/runs/{runId}/cancel", null);
        var again = await client.PostAsync($"/api/v1/runs/{runId}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(RunStatus.Cancelled, (await cancel.Content.ReadFromJsonAsync<RunDetails>(TestJson.Options))!.Status);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(RunStatus.Cancelled, (await RunsTestData.GetRunAsync(hub, runId)).Status);
    }

    [Theory, AllDatabases]
    public async Task Retry_OfARunThatHasNotEnded_Returns409(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        using var client = hub.CreateAdminClient();

        var response = await client.PostAsync($"/api/v1/runs/{runId}/retry", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task RunsAndScenariosOfAnotherWorkspace_Answer404LikeUnknownIds(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        var token = await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Admin, otherWorkspace: true);
        using var outsider = hub.CreateHttpClient(token);

        var responses = new[]
        {
            await outsider.GetAsync($"/api/v1/runs/{runId}"),
            await outsider.PostAsync($"/api/v1/scenarios/{scenario.Id}/runs", null),
            await outsider.PostAsync($"/api/v1/runs/{runId}/retry", null),
            await outsider.PostAsync($"/api/v1/runs/{runId}/cancel", null),
            await outsider.GetAsync($"/api/v1/runs/{Guid.NewGuid()}"),
        };
        // Each filter of the list reads the runs its own way (queued runs through the workspace's scenarios).
        var lists = new[]
        {
            await outsider.GetFromJsonAsync<RunPage>($"/api/v1/runs?scenarioId={scenario.Id}", TestJson.Options),
            await outsider.GetFromJsonAsync<RunPage>("/api/v1/runs", TestJson.Options),
            await outsider.GetFromJsonAsync<RunPage>("/api/v1/runs?status=Queued", TestJson.Options),
            await outsider.GetFromJsonAsync<RunPage>($"/api/v1/runs?status=Queued&scenarioId={scenario.Id}", TestJson.Options),
        };

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.All(responses, r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType));
        Assert.All(lists, list => Assert.Equal((0, true), (list!.Total, list.TotalIsExact)));
        Assert.All(lists, list => Assert.Empty(list!.Items));
        Assert.Equal(RunStatus.Queued, (await RunsTestData.GetRunAsync(hub, runId)).Status);
        Assert.Single(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Fact]
    public async Task Viewer_MayReadRuns_ButNotTriggerRetryOrCancel()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        using var viewer = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer));

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/v1/runs/{runId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/v1/scenarios/{scenario.Id}/runs", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/v1/runs/{runId}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/v1/runs/{runId}/retry", null)).StatusCode);
    }

    [Fact]
    public async Task Runs_WithoutCredentials_Return401()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        using var client = hub.CreateHttpClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/runs")).StatusCode);
    }
}
