using IntegrationHub.Connectors;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scripting;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Connectors;

public sealed class StorageConnectorTests
{
    [Theory, AllDatabases]
    public async Task StorageTarget_OneKeyField_StoresEachRecordUnderThatFieldsValue(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s => s.Target = new TargetSettings("storage", KeyFields: ["id"]));

        await Target(hub).WriteAsync(scenario, HttpConnectorTests.Records("""[{"id":1,"total":5},{"id":"b","total":6}]"""), CancellationToken.None);

        var storage = hub.Services.GetRequiredService<ScenarioStorage>();
        Assert.Equal("""{"id":1,"total":5}""", await storage.GetAsync(scenario.Id, "1", CancellationToken.None));
        Assert.Equal("""{"id":"b","total":6}""", await storage.GetAsync(scenario.Id, "\"b\"", CancellationToken.None));
    }

    [Theory, AllDatabases]
    public async Task StorageTarget_SeveralKeyFields_StoresUnderAnObjectOfThoseFields(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s => s.Target = new TargetSettings("storage", KeyFields: ["region", "id"]));

        await Target(hub).WriteAsync(scenario, HttpConnectorTests.Records("""[{"id":1,"region":"eu","n":1}]"""), CancellationToken.None);

        var value = await hub.Services.GetRequiredService<ScenarioStorage>().GetAsync(scenario.Id, """{"id":1,"region":"eu"}""", CancellationToken.None);
        Assert.Equal("""{"id":1,"region":"eu","n":1}""", value);
    }

    [Theory, AllDatabases]
    public async Task StorageTarget_RecordWithoutAKeyField_FailsClearlyAndWritesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScriptSandboxTests.CreateScenarioAsync(hub, s => s.Target = new TargetSettings("storage", KeyFields: ["id"]));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            Target(hub).WriteAsync(scenario, HttpConnectorTests.Records("""[{"id":1},{"name":"no id"}]"""), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Contains("Record 2 of 2 has no field \"id\"", error.Message, StringComparison.Ordinal);
        var page = await hub.Services.GetRequiredService<ScenarioStorage>().ListAsync(scenario.Id, null, 0, 10, CancellationToken.None);
        Assert.Equal(0, page.Total);
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

    private static ITargetConnector Target(HubHost hub) => hub.Services.GetRequiredService<ConnectorRegistry>().FindTarget("storage")!;
}
