using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Connectors;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Tests.Scenarios;

/// <summary>The header values of HTTP sources and targets, encrypted in the database with Secrets:Key.</summary>
public sealed class ScenarioSecretsTests
{
    private const string SourceSecret = "Bearer source-secret-4f1c";
    private const string TargetSecret = "target-api-key-9d27";

    [Theory, AllDatabases]
    public async Task HeaderValues_AreNotInTheDatabaseInPlainText_AndEditorsReadThemThroughTheApi(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var created = await ScenarioTestData.CreateScenarioAsync(hub, HttpScenarioJson("http://127.0.0.1:9/orders", "http://127.0.0.1:9/erp"));

        var stored = await StoredConnectorSettingsAsync(hub);
        Assert.DoesNotContain("source-secret", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(TargetSecret, stored, StringComparison.Ordinal);
        Assert.Contains("ih-secret:v1:", stored, StringComparison.Ordinal);
        Assert.Equal(SourceSecret, created.Source.Headers!["Authorization"]);

        using var admin = hub.CreateAdminClient();
        var read = await admin.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{created.Id}", TestJson.Options);
        Assert.Equal(SourceSecret, read!.Source.Headers!["Authorization"]);
        Assert.Equal(TargetSecret, read.Target.Headers!["X-Api-Key"]);
        var listed = await admin.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios", TestJson.Options);
        Assert.Equal(TargetSecret, Assert.Single(listed!.Items).Target.Headers!["X-Api-Key"]);
        using var viewer = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer));
        var hidden = await viewer.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{created.Id}", TestJson.Options);
        Assert.Equal(ScenarioResponse.HiddenValue, hidden!.Source.Headers!["Authorization"]);
    }

    [Fact]
    public async Task Viewers_ReadTheUrlsWithTheirQueryValuesHidden_EditorsReadThemWhole()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        const string SourceUrl = "https://api.example.com/v2/orders?api_key=k-77f1&page=2&SECRETONLY#top";
        const string TargetUrl = "https://erp.example.com/import";
        var created = await ScenarioTestData.CreateScenarioAsync(hub, HttpScenarioJson(SourceUrl, TargetUrl));
        using var viewer = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer));
        using var admin = hub.CreateAdminClient();

        var asViewer = await viewer.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{created.Id}", TestJson.Options);
        var asEditor = await admin.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{created.Id}", TestJson.Options);

        Assert.Equal("https://api.example.com/v2/orders?api_key=(hidden)&page=(hidden)&(hidden)", asViewer!.Source.Url);
        Assert.Equal(TargetUrl, asViewer.Target.Url);
        Assert.Equal((SourceUrl, TargetUrl), (asEditor!.Source.Url, asEditor.Target.Url));
    }

    [Theory, AllDatabases]
    public async Task Run_SendsTheDecryptedHeaderValues_ToTheSourceAndTheTarget(DatabaseProvider provider)
    {
        await using var server = await LoopbackHttpServer.StartAsync((request, _) => (200, request.Method == "GET" ? """[{"id":1}]""" : "{}"));
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, HttpScenarioJson(server.Url("orders"), server.Url("erp")));

        var run = await RunOnceAsync(hub, scenario.Id);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(SourceSecret, server.Received.Single(r => r.Method == "GET").Headers["Authorization"]);
        Assert.Equal(TargetSecret, server.Received.Single(r => r.Method == "POST").Headers["X-Api-Key"]);
    }

    [Theory, AllDatabases]
    public async Task HeaderValuesStoredInPlainTextBefore_StillRun_AndAreEncryptedByTheNextSave(DatabaseProvider provider)
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, "[]"));
        await using var hub = await HubHost.StartAsync(provider);
        // Straight into the database, as a hub before encryption stored it.
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s =>
            s.Source = new SourceSettings("http", server.Url("orders"), new Dictionary<string, string> { ["Authorization"] = SourceSecret }));
        Assert.Contains("source-secret", await StoredConnectorSettingsAsync(hub), StringComparison.Ordinal);

        var run = await RunOnceAsync(hub, scenario.Id);
        using var admin = hub.CreateAdminClient();
        var read = await admin.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{scenario.Id}", TestJson.Options);
        var saved = await admin.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}", read, TestJson.Options);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(SourceSecret, Assert.Single(server.Received).Headers["Authorization"]);
        Assert.Equal(SourceSecret, read!.Source.Headers!["Authorization"]);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.DoesNotContain("source-secret", await StoredConnectorSettingsAsync(hub), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecondNodeWithTheSameKey_RunsTheScenarioWithItsHeaderValues()
    {
        await using var server = await LoopbackHttpServer.StartAsync((request, _) => (200, request.Method == "GET" ? """[{"id":1}]""" : "{}"));
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var saving = HubHost.Start(database, RunsTestData.NoWorkers);
        await using var running = HubHost.Start(database);
        var scenario = await ScenarioTestData.CreateScenarioAsync(saving, HttpScenarioJson(server.Url("orders"), server.Url("erp")));

        var run = await RunOnceAsync(saving, scenario.Id);

        Assert.Equal((RunStatus.Succeeded, (string?)null), (run.Status, run.Error));
        Assert.Equal(SourceSecret, server.Received.Single(r => r.Method == "GET").Headers["Authorization"]);
        Assert.Equal(TargetSecret, server.Received.Single(r => r.Method == "POST").Headers["X-Api-Key"]);
    }

    [Fact]
    public async Task ANodeWithAnotherKey_FailsTheRunSayingTheKeyDiffers_WithoutCallingTheSource()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, "[]"));
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var saving = HubHost.Start(database, RunsTestData.NoWorkers);
        await using var running = HubHost.Start(database, new Dictionary<string, string?> { ["Secrets:Key"] = TestDatabase.NewSecretsKey() });
        var scenario = await ScenarioTestData.CreateScenarioAsync(saving, HttpScenarioJson(server.Url("orders"), server.Url("erp")));

        var run = await RunOnceAsync(saving, scenario.Id);

        Assert.Equal((RunStatus.Failed, 1), (run.Status, run.Attempts));
        Assert.Contains("The source header Authorization cannot be sent: its value was encrypted with another Secrets:Key", run.Error, StringComparison.Ordinal);
        Assert.Contains("Give this node the Secrets:Key the scenario was saved with", run.Error, StringComparison.Ordinal);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task ANodeWithAnotherKey_ShowsEditorsTheValuesAsUnreadable_AndASaveOfThemUnchangedKeepsThem()
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var saving = HubHost.Start(database, RunsTestData.NoWorkers);
        await using var other = HubHost.Start(database, new Dictionary<string, string?>(RunsTestData.NoWorkers) { ["Secrets:Key"] = TestDatabase.NewSecretsKey() });
        var scenario = await ScenarioTestData.CreateScenarioAsync(saving, HttpScenarioJson("http://127.0.0.1:9/orders", "http://127.0.0.1:9/erp"));
        using var otherAdmin = other.CreateAdminClient();

        var read = await otherAdmin.GetAsync($"/api/v1/scenarios/{scenario.Id}");
        var unreadable = (await read.Content.ReadFromJsonAsync<ScenarioResponse>(TestJson.Options))!;
        var renamed = await otherAdmin.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}", unreadable with { Name = "Renamed" }, TestJson.Options);
        // Headers the stored scenario does not have, sent with the unreadable value: there is nothing to keep.
        var newHeaders = await otherAdmin.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}", new ScenarioRequest(
            unreadable.Name, unreadable.Description, unreadable.Enabled, unreadable.Source, unreadable.SourceScript,
            unreadable.Target with
            {
                Headers = new Dictionary<string, string> { ["X-Other"] = ScenarioSecrets.UnreadableValue, ["X-Third"] = ScenarioSecrets.UnreadableValue },
            },
            unreadable.Schedule, unreadable.Advanced), TestJson.Options);
        using var savingAdmin = saving.CreateAdminClient();
        var readBack = await savingAdmin.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{scenario.Id}", TestJson.Options);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(ScenarioSecrets.UnreadableValue, unreadable.Source.Headers!["Authorization"]);
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json"), (newHeaders.StatusCode, newHeaders.Content.Headers.ContentType?.MediaType));
        var errors = (await newHeaders.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("target.headers");
        // Each header is named, so the editor knows every value to enter again.
        Assert.Collection(errors.EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal),
            e => Assert.StartsWith("The value of X-Other reads", e, StringComparison.Ordinal),
            e => Assert.StartsWith("The value of X-Third reads", e, StringComparison.Ordinal));
        Assert.Equal(("Renamed", SourceSecret, TargetSecret), (readBack!.Name, readBack.Source.Headers!["Authorization"], readBack.Target.Headers!["X-Api-Key"]));
    }

    /// <summary>A scenario reading <paramref name="sourceUrl"/> with a bearer token and posting each record to <paramref name="targetUrl"/> with an API key.</summary>
    private static JsonObject HttpScenarioJson(string sourceUrl, string targetUrl) => ScenarioTestData.ScenarioJson(change: j =>
    {
        j["source"] = new JsonObject { ["type"] = "http", ["url"] = sourceUrl, ["headers"] = new JsonObject { ["Authorization"] = SourceSecret } };
        j["sourceScript"] = "return data;";
        j["target"] = new JsonObject { ["type"] = "http", ["url"] = targetUrl, ["headers"] = new JsonObject { ["X-Api-Key"] = TargetSecret } };
    });

    /// <summary>The Source and Target columns of every scenario, as SQL reads them.</summary>
    private static async Task<string> StoredConnectorSettingsAsync(HubHost hub)
    {
        await using var db = await RunsTestData.CreateDbAsync(hub);
        var rows = await db.Database.SqlQueryRaw<string>("""SELECT "Source" || ' ' || "Target" AS "Value" FROM "Scenarios" """).ToListAsync();
        return string.Join("\n", rows);
    }

    /// <summary>Runs the scenario now through the API and waits for the run to end.</summary>
    private static async Task<Run> RunOnceAsync(HubHost hub, Guid scenarioId)
    {
        using var admin = hub.CreateAdminClient();
        var response = await admin.PostAsync($"/api/v1/scenarios/{scenarioId}/runs", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runs = await RunsTestData.WaitForRunsAsync(hub, scenarioId, 1, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, timeoutSeconds: 60);
        return Assert.Single(runs);
    }
}
