using IntegrationHub.Connectors;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Tests.Connectors;

public sealed class ConnectorsExtensionsTests
{
    // Each call that failed after its retries was logged "fail: Polly[3]", a network error with a 20-line stack trace,
    // and each retry at Warning: routine answers of a customer's API, already in the run's log, paged operators.
    [Fact]
    public async Task RetriedCallsThatFail_AreNotLoggedByPollyAtWarningOrAbove()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, ConnectorHubFixture.Settings);
        var log = new LogCapture();
        hub.Services.GetRequiredService<ILoggerFactory>().AddProvider(log);
        await using var busy = await LoopbackHttpServer.StartAsync((_, _) => (503, "{}"));
        await using var gone = await LoopbackHttpServer.StartAsync((_, _) => (200, "[]"));
        var goneUrl = gone.Url("orders");
        await gone.DisposeAsync();
        var source = hub.Services.GetRequiredService<ConnectorRegistry>().FindSource("http")!;

        foreach (var url in new[] { busy.Url("orders"), goneUrl })
        {
            var error = await Assert.ThrowsAsync<ConnectorException>(() => source.ReadAsync(
                new Scenario { Name = "Logs", WorkspaceId = Guid.NewGuid(), Source = new SourceSettings("http", url) }, CancellationToken.None));
            Assert.True(error.Retryable);
        }

        Assert.Equal(4, busy.Received.Count);
        Assert.DoesNotContain(log.Entries, e => e.Category.StartsWith("Polly", StringComparison.Ordinal) && e.Level >= LogLevel.Warning);
    }
}
