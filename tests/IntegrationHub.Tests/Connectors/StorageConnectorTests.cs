using System.Text.Json;
using IntegrationHub.Connectors;
using IntegrationHub.Connectors.Storage;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scripting;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Connectors;

public sealed class StorageConnectorTests
{
    [Fact]
    public async Task StorageTarget_OneKeyField_StoresEachRecordUnderThatFieldsValue()
    {
        var run = Run(new TargetSettings("storage", KeyFields: ["id"]));

        await Target.WriteAsync(run, HttpConnectorTests.Records("""[{"id":1,"total":5},{"id":"b","total":6}]"""), CancellationToken.None);

        Assert.Equal(
            [new StorageChange("1", """{"id":1,"total":5}""", null), new StorageChange("\"b\"", """{"id":"b","total":6}""", null)],
            run.Storage.Changes);
    }

    [Fact]
    public async Task StorageTarget_SeveralKeyFields_StoresUnderAnObjectOfThoseFields()
    {
        var run = Run(new TargetSettings("storage", KeyFields: ["region", "id"]));

        await Target.WriteAsync(run, HttpConnectorTests.Records("""[{"id":1,"region":"eu","n":1}]"""), CancellationToken.None);

        var change = Assert.Single(run.Storage.Changes);
        Assert.Equal("""{"id":1,"region":"eu"}""", change.Key);
        Assert.Equal("""{"id":1,"region":"eu","n":1}""", change.ValueJson);
    }

    [Fact]
    public async Task StorageTarget_RecordWithoutAKeyField_FailsClearly()
    {
        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            Target.WriteAsync(Run(new TargetSettings("storage", KeyFields: ["id"])), HttpConnectorTests.Records("""[{"id":1},{"name":"no id"}]"""), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Contains("Record 2 of 2 has no field \"id\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StorageTarget_MoreRecordsThanARunMayStore_FailsClearly()
    {
        var run = new TargetContext(new Scenario { Name = "Limits", Target = new TargetSettings("storage", KeyFields: ["id"]) }, Guid.NewGuid(), new StorageChanges(maxKeys: 2), new ConnectorTestLog());

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            Target.WriteAsync(run, HttpConnectorTests.Records("""[{"id":1},{"id":2},{"id":3}]"""), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Contains("at most 2 storage keys (Storage:MaxChangesPerRun)", error.Message, StringComparison.Ordinal);
    }

    // 1e400 was stored as a key that GetCacheData, the storage API and storage.delete all refuse: nothing could remove it.
    [Theory]
    [InlineData("""{"id":1e400}""", "id", "the number 1e400 is beyond what a JavaScript number holds")]
    [InlineData("""{"id":[1,-2e999]}""", "id", "the number -2e999 is beyond what a JavaScript number holds")]
    [InlineData("""{"shop":"n","id":1e400}""", "shop,id", "the number 1e400 is beyond what a JavaScript number holds")]
    public async Task StorageTarget_KeyNoStorageCallCouldName_FailsNotRetryable_NamingTheRecord(string record, string keyFields, string problem)
    {
        var run = Run(new TargetSettings("storage", KeyFields: keyFields.Split(',')));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            Target.WriteAsync(run, HttpConnectorTests.Records($"[{{\"shop\":\"s\",\"id\":1}},{record}]"), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Equal($"Record 2 of 2: its key (keyFields: {keyFields.Replace(",", ", ", StringComparison.Ordinal)}) cannot be stored: {problem}.", error.Message);
    }

    [Fact]
    public async Task StorageTarget_KeyOfSeveralFieldsNestedDeeperThanAKeyMay_FailsNotRetryable()
    {
        // A record may nest one level deeper than a stored value; the key's object of fields adds one more.
        var deep = new string('[', HubJson.MaxValueDepth - 1) + new string(']', HubJson.MaxValueDepth - 1);
        using var records = JsonDocument.Parse($$"""[{"a":{"b":{{deep}}},"id":1}]""", HubJson.DocumentOptions);
        var run = Run(new TargetSettings("storage", KeyFields: ["a", "id"]));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            Target.WriteAsync(run, [.. records.RootElement.EnumerateArray()], CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Equal($"Record 1 of 1: its key (keyFields: a, id) cannot be stored: it nests deeper than {HubJson.MaxValueDepth} levels.", error.Message);
        Assert.Empty(run.Storage.Changes);
    }

    [Fact]
    public async Task StorageTarget_KeyLongerThanAKeyMayBe_SaysWhichRecord()
    {
        var run = Run(new TargetSettings("storage", KeyFields: ["id"]));
        var longId = new string('x', StorageKey.MaxBytes);

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            Target.WriteAsync(run, HttpConnectorTests.Records($$"""[{"id":1},{"id":"{{longId}}"}]"""), CancellationToken.None));

        Assert.False(error.Retryable);
        // As documented, and as for every other key that cannot be stored: which record, and which fields made its key.
        Assert.StartsWith($"Record 2 of 2: its key (keyFields: id) cannot be stored: A storage key may hold at most {StorageKey.MaxBytes:N0} bytes",
            error.Message, StringComparison.Ordinal);
        Assert.EndsWith("this one has 1,026.", error.Message, StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task StorageSource_GivesTheScenariosEntriesAsKeyValueRecords(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s => s.Source = new SourceSettings("storage"));
        var other = await ScriptSandboxTests.CreateScenarioAsync(hub);
        var storage = hub.Services.GetRequiredService<ScenarioStorage>();
        await storage.SetAsync(scenario.WorkspaceId, scenario.Id, """{"a":1}""", """{"v":1}""", null, CancellationToken.None);
        await storage.SetAsync(scenario.WorkspaceId, scenario.Id, "\"b\"", "[2]", null, CancellationToken.None);
        await storage.SetAsync(other.WorkspaceId, other.Id, "\"c\"", "3", null, CancellationToken.None);

        var records = await hub.Services.GetRequiredService<ConnectorRegistry>().FindSource("storage")!.ReadAsync(scenario, CancellationToken.None);

        Assert.Equal(["""{"key":"b","value":[2]}""", """{"key":{"a":1},"value":{"v":1}}"""], records.Select(r => r.GetRawText()));
    }

    private static readonly StorageTargetConnector Target = new();

    private static TargetContext Run(TargetSettings target) =>
        new(new Scenario { Name = "Storage target", Target = target }, Guid.NewGuid(), new StorageChanges(maxKeys: 100), new ConnectorTestLog());
}
