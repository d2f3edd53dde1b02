using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Tests.Connectors;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;

namespace IntegrationHub.Tests.Telemetry;

/// <summary>
/// Runs alone, after the tests that run in parallel: OpenTelemetry subscribes to meters by name across the process,
/// and here other tests' hubs (one per process in production) create and dispose meters of the same name meanwhile.
/// </summary>
[CollectionDefinition(nameof(HubTelemetryTests), DisableParallelization = true)]
public sealed class HubTelemetryCollection;

[Collection(nameof(HubTelemetryTests))]
public sealed class HubTelemetryTests
{
    [Fact]
    public async Task WithAnOtlpEndpoint_TheHubExportsItsRunAndWriteGateMetrics()
    {
        // A real OTLP/HTTP receiver: it keeps what the exporter posts to /v1/metrics.
        await using var collector = await LoopbackHttpServer.StartAsync((_, _) => (200, ""));
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseAddress.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        });
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        await RunsTestData.EnqueueAsync(hub, scenario);
        await RunsTestData.WaitForRunsAsync(hub, scenario.Id, 1, r => r.Status == RunStatus.Succeeded);

        // OTLP carries metric names and attribute values as plain UTF-8 strings inside the protobuf.
        string[] expected =
        [
            "integrationhub.run.duration", "Succeeded",
            "integrationhub.sqlite.write_gate.wait", "integrationhub.sqlite.write_gate.hold", "enqueue", "claim", "outcomes",
            "http.server.request.duration",
        ];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string[] missing;
        while ((missing = [.. expected.Where(text => !Exported(collector, text))]).Length > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Empty(missing);
    }

    private static bool Exported(LoopbackHttpServer collector, string text) =>
        collector.Received.Any(r => r.Path == "/v1/metrics" && r.Body.Contains(text, StringComparison.Ordinal));
}
