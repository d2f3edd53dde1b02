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
        var run = new TargetContext(new Scenario { Name = "Limits", Target = new TargetSettings("storage", KeyFields: ["id"]) }, Guid.NewGuid(), new StorageChanges(maxKeys: 2));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            Target.WriteAsync(run, HttpConnectorTests.Records("""[{"id":1},{"id":2},{"id":3}]"""), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Contains("at most 2 storage keys (Storage:MaxChangesPerRun)", error.Message, StringComparison.Ordinal);
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
        new(new Scenario { Name = "Storage target", Target = target }, Guid.NewGuid(), new StorageChanges(maxKeys: 100));
}
