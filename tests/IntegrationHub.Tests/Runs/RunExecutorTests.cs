using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Connectors;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scripting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Runs;

public sealed class RunExecutorTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Connectors:HttpRetryDelay"] = "00:00:00.050",
        // Statements unbounded, so a timeout test is stopped by the clock rather than the statement count.
        ["Scripting:MaxStatements"] = int.MaxValue.ToString(),
    };

    [Theory, AllDatabases]
    public async Task ExternalPost_ScriptSeesTheRequestAsData0_AndTheSourceIsNotRead(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s =>
        {
            // Nothing listens here: reading this source would fail the run.
            s.Source = new SourceSettings("http", "http://127.0.0.1:1/never");
            s.SourceScript = """
                return data.map(o => ({
                  id: o.Body.id, total: o.Body.total, type: o.ContentType, from: o.Headers['X-Source'],
                  mode: o.Query.mode, raw: o.RawBody, at: o.ReceivedAt
                }));
                """;
            s.Target = new TargetSettings("storage", KeyFields: ["id"]);
        });
        var request = new TriggerRequest(
            JsonDocument.Parse("""{"id":"o-1","total":12}""").RootElement,
            """{"id":"o-1","total":12}""",
            "application/json",
            new Dictionary<string, string> { ["X-Source"] = "shop" },
            new Dictionary<string, JsonElement> { ["mode"] = JsonSerializer.SerializeToElement("fast") },
            new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        var run = Run(scenario, TriggerKind.ExternalPost, JsonSerializer.Serialize(request, TriggerRequest.SerializerOptions));

        var outcome = await ExecuteAsync(hub, run, scenario);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(1, outcome.RecordsIn);
        Assert.Equal(1, outcome.RecordsOut);
        var expected = """{"id":"o-1","total":12,"type":"application/json","from":"shop","mode":"fast","raw":"{\"id\":\"o-1\",\"total\":12}","at":"2026-11-28T12:00:00+00:00"}""";
        Assert.Equal($"[{expected}]", outcome.ResultJson);
        // The storage target's write waits in the outcome, to commit with the run's success.
        Assert.Equal(new StorageChange("\"o-1\"", expected, null), Assert.Single(outcome.Storage!.Changes));
    }

    [Fact]
    public async Task NoneSourceAndTarget_TheLogSaysWhatThatMeans_NotThatRecordsWereReadOrWritten()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s => s.SourceScript = "return [{ id: 1 }, { id: 2 }];");

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Manual), scenario);

        Assert.True(outcome.Succeeded, outcome.Error);
        var lines = outcome.Log.Select(l => l.Message).ToList();
        Assert.Contains("The source is none: the script starts with data = [].", lines);
        Assert.Contains("The target is none: the 2 records passed on go nowhere.", lines);
        Assert.DoesNotContain(lines, l => l.Contains("none source", StringComparison.Ordinal) || l.Contains("none target", StringComparison.Ordinal));
    }

    [Theory, AllDatabases]
    public async Task RetryOfAPostedRun_SeesTheSameRequestInsteadOfTheSource(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s => s.SourceScript = "return [{ id: data[0].Body.id, n: data.length }];");
        var request = new TriggerRequest(JsonDocument.Parse("""{"id":5}""").RootElement, """{"id":5}""", "application/json",
            new Dictionary<string, string>(), new Dictionary<string, JsonElement>(), DateTimeOffset.UnixEpoch);

        var outcome = await ExecuteAsync(hub,
            Run(scenario, TriggerKind.Retry, JsonSerializer.Serialize(request, TriggerRequest.SerializerOptions)), scenario);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal("""[{"id":5,"n":1}]""", outcome.ResultJson);
    }

    [Theory, AllDatabases]
    public async Task Manual_NoneSource_ScriptSeesEmptyDataAndRunInfo(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s =>
            s.SourceScript = "log.info('starting');\nreturn [{ count: data.length, trigger: run.trigger, scenario: run.scenarioId }];");

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Manual), scenario);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(0, outcome.RecordsIn);
        Assert.Equal($$"""[{"count":0,"trigger":"Manual","scenario":"{{scenario.Id}}"}]""", outcome.ResultJson);
        Assert.Contains(outcome.Log, l => l.Level == "info" && l.Message == "starting");
    }

    [Theory, AllDatabases]
    public async Task HttpSourceWithoutScript_PassesTheRecordsUnchangedToTheHttpTarget(DatabaseProvider provider)
    {
        await using var server = await LoopbackHttpServer.StartAsync((request, _) =>
            request.Method == "GET" ? (200, """[{"id":1},{"id":2}]""") : (201, "{}"));
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s =>
        {
            s.Source = new SourceSettings("http", server.Url("orders"));
            s.Target = new TargetSettings("http", server.Url("erp"), Batch: true);
        });

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Schedule), scenario);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(2, outcome.RecordsIn);
        Assert.Equal(2, outcome.RecordsOut);
        Assert.Equal("""[{"id":1},{"id":2}]""", outcome.ResultJson);
        Assert.Equal("""[{"id":1},{"id":2}]""", Assert.Single(server.Received, r => r.Method == "POST").Body);
    }

    // The key 1e400 was stored and the run succeeded; GetCacheData, the storage API and storage.delete all refuse that key.
    [Theory, AllDatabases]
    public async Task HttpSourceWithoutScript_RecordWhoseKeyNoStorageCallCouldName_FailsTheRunWithoutARetry(DatabaseProvider provider)
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, """[{"id":1},{"id":1e400}]"""));
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s =>
        {
            s.Source = new SourceSettings("http", server.Url("orders"));
            s.Target = new TargetSettings("storage", KeyFields: ["id"]);
        });

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Manual), scenario);

        Assert.False(outcome.Succeeded);
        Assert.False(outcome.Retryable);
        Assert.Equal("Record 2 of 2: its key (keyFields: id) cannot be stored: the number 1e400 is beyond what a JavaScript number holds.", outcome.Error);
    }

    // The error said only "timed out after 2 s" for a server that had answered 429 at once: the run's timeoutSeconds
    // cut the wait for the retry, and only Connectors:HttpTotalTimeout's message told of the answer.
    [Theory, AllDatabases]
    public async Task SourceRetryCutShortByTheRunsTimeout_SaysWhatTheServerLastAnswered(DatabaseProvider provider)
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _, response) =>
        {
            response.StatusCode = 429;
            // Capped at Connectors:HttpMaxRetryDelay (30 s): far past the run's 2 s either way.
            response.Headers.RetryAfter = "100";
            return Task.CompletedTask;
        });
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s =>
        {
            s.Source = new SourceSettings("http", server.Url("orders"));
            s.TimeoutSeconds = 2;
        });

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Manual), scenario);

        Assert.False(outcome.Succeeded);
        Assert.True(outcome.Retryable);
        Assert.Equal(
            $"The run timed out after 2 s (TimeoutSeconds) while reading the source; before that GET {server.Url("orders")} answered 429 Too Many Requests.",
            outcome.Error);
    }

    // connectors.md promises "Record 3 of 10: ... Records 1 to 2 were delivered before it." for every failure of a
    // per-record target; a timeout said only "while writing the target", so the user could not tell how many records
    // had been delivered.
    [Theory, AllDatabases]
    public async Task PerRecordTargetCutShortByTheRunsTimeout_SaysWhichRecord(DatabaseProvider provider)
    {
        await using var server = await LoopbackHttpServer.StartAsync(async (_, count, response) =>
        {
            if (count == 1)
            {
                await Task.Delay(Timeout.Infinite, response.HttpContext.RequestAborted);
            }
            response.ContentType = "application/json";
            await response.WriteAsync("{}");
        });
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s =>
        {
            s.SourceScript = "return [{ id: 1 }, { id: 2 }, { id: 3 }];";
            s.Target = new TargetSettings("http", server.Url("erp"));
            s.TimeoutSeconds = 2;
        });

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Manual), scenario);

        Assert.False(outcome.Succeeded);
        Assert.True(outcome.Retryable);
        Assert.Equal("Record 2 of 3: The run timed out after 2 s (TimeoutSeconds) while writing the target. Record 1 was delivered before it.", outcome.Error);
    }

    // The run's log said only "Wrote 2 records to the http target" although record 1 had been sent twice (a 500, then
    // a 201): a user looking for why their ERP held it twice found nothing.
    [Theory, AllDatabases]
    public async Task TargetRetriedAfterA500_TheRunsLogWarnsOfTheRetry_BeforeSayingWhatWasWritten(DatabaseProvider provider)
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, n) => n == 0 ? (500, "{}") : (201, "{}"));
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s =>
        {
            s.SourceScript = "return [{ id: 1 }, { id: 2 }];";
            s.Target = new TargetSettings("http", server.Url("orders"));
        });

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Manual), scenario);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(3, server.Received.Count);
        var warning = Assert.Single(outcome.Log, l => l.Level == "warn");
        Assert.StartsWith($"Record 1 of 2: The http target: POST {server.Url("orders")} answered 500 Internal Server Error; trying again in ", warning.Message, StringComparison.Ordinal);
        Assert.EndsWith(" (attempt 2 of 4).", warning.Message, StringComparison.Ordinal);
        Assert.Equal("Wrote 2 records to the http target.", outcome.Log[^1].Message);
    }

    [Theory, AllDatabases]
    public async Task TargetRefusingTheRecords_CountsNoneOutAndLogsWhatTheScriptPassedOn(DatabaseProvider provider)
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (422, """{"error":"no"}"""));
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s =>
        {
            s.SourceScript = "return [{ id: 1 }, { id: 2 }, { id: 3 }];";
            s.Target = new TargetSettings("http", server.Url("erp"), Batch: true);
        });

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Manual), scenario);

        Assert.False(outcome.Succeeded);
        Assert.Equal(0, outcome.RecordsOut);
        Assert.Contains(outcome.Log, l => l.Message == "The script passed on 3 records.");
    }

    [Theory, AllDatabases]
    public async Task ScriptError_FailsNotRetryableWithLineColumnAndTheLogSoFar(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s => s.SourceScript = "log.warn('about to fail');\nconst x = data[0].id;");

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Manual), scenario);

        Assert.False(outcome.Succeeded);
        Assert.False(outcome.Retryable);
        Assert.StartsWith("TypeError:", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(2, outcome.ErrorLine);
        Assert.Equal(19, outcome.ErrorColumn);
        Assert.Contains(outcome.Log, l => l.Message == "about to fail");
        Assert.Equal("error", outcome.Log[^1].Level);
    }

    [Theory, AllDatabases]
    public async Task PostedRunWhoseStoredRequestIsNotAnObject_FailsClearly_WithoutARetry(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s => s.SourceScript = "return data;");

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.ExternalPost, "[1, 2"), scenario);

        Assert.False(outcome.Succeeded);
        Assert.False(outcome.Retryable);
        Assert.StartsWith("The run's stored request cannot be read", outcome.Error, StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task EndlessLoop_FailsAsTimedOutAfterTheScenariosTimeout(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s =>
        {
            s.TimeoutSeconds = 1;
            // An empty loop allocates nothing, so only the clock can stop it (a counter churns numbers and may reach
            // the memory limit first on a fast machine).
            s.SourceScript = "let spins = 0;\nwhile (true) { }";
        });

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Manual), scenario);

        Assert.False(outcome.Succeeded);
        Assert.False(outcome.Retryable);
        Assert.StartsWith("The run timed out after 1 s", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(2, outcome.ErrorLine);
    }

    [Theory, AllDatabases]
    public async Task TargetAnswering500_FailsRetryable(DatabaseProvider provider)
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (500, "{}"));
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s =>
        {
            s.SourceScript = "return [{ id: 1 }];";
            s.Target = new TargetSettings("http", server.Url("down"));
        });

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Manual), scenario);

        Assert.False(outcome.Succeeded);
        Assert.True(outcome.Retryable);
        Assert.Contains("500", outcome.Error, StringComparison.Ordinal);
        Assert.Null(outcome.ErrorLine);
    }

    [Theory, AllDatabases]
    public async Task StorageTargetRecordWithoutKeyField_FailsNotRetryable(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s =>
        {
            s.SourceScript = "return [{ name: 'no id' }];";
            s.Target = new TargetSettings("storage", KeyFields: ["id"]);
        });

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.Manual), scenario);

        Assert.False(outcome.Succeeded);
        Assert.False(outcome.Retryable);
        Assert.Contains("no field \"id\"", outcome.Error, StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task UnknownConnectorType_FailsNotRetryable(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s => s.Source = new SourceSettings("ftp"));

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.ExternalGet), scenario);

        Assert.False(outcome.Succeeded);
        Assert.False(outcome.Retryable);
        Assert.Contains("Unknown source type \"ftp\"", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExternalPostWithoutABody_LogsTheRequestWithoutAnEmptyContentType()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub);
        // As the accept stores a POST without a body: no content type.
        var request = new TriggerRequest(JsonSerializer.SerializeToElement<object?>(null), "", "", new Dictionary<string, string>(), new Dictionary<string, JsonElement>(), DateTimeOffset.UtcNow);

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.ExternalPost, JsonSerializer.Serialize(request, TriggerRequest.SerializerOptions)), scenario);

        Assert.Contains("Took the posted request as data[0]; the source is not read.", outcome.Log.Select(line => line.Message));
    }

    [Theory, AllDatabases]
    public async Task ExternalPostWithoutStoredRequest_FailsNotRetryable(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub);

        var outcome = await ExecuteAsync(hub, Run(scenario, TriggerKind.ExternalPost), scenario);

        Assert.False(outcome.Succeeded);
        Assert.False(outcome.Retryable);
    }

    [Theory, AllDatabases]
    public async Task CallerCancels_ThrowsInsteadOfReturningAnOutcome(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, Settings);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s => s.SourceScript = "while (true) { }");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Executor(hub).ExecuteAsync(Run(scenario, TriggerKind.Manual), scenario, new RunLog(TimeProvider.System), cancellation.Token));
    }

    private static RunExecutor Executor(HubHost hub) => hub.Services.GetRequiredService<RunExecutor>();

    private static Task<RunOutcome> ExecuteAsync(HubHost hub, Run run, Scenario scenario) =>
        Executor(hub).ExecuteAsync(run, scenario, new RunLog(TimeProvider.System), CancellationToken.None);

    private static Run Run(Scenario scenario, TriggerKind trigger, string? payload = null) => new()
    {
        WorkspaceId = scenario.WorkspaceId,
        ScenarioId = scenario.Id,
        Status = RunStatus.Running,
        Trigger = trigger,
        Payload = payload,
        MaxAttempts = scenario.MaxAttempts,
        Attempts = 1,
    };
}
