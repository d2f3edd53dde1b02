using IntegrationHub.Connectors;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Connectors;

/// <summary>A hub whose http calls give up after 5 s in all, so that tests of the timeouts end soon.</summary>
public sealed class ShortTimeoutHubFixture : IAsyncLifetime
{
    internal HubHost Hub { get; private set; } = null!;

    internal ConnectorRegistry Registry => Hub.Services.GetRequiredService<ConnectorRegistry>();

    public async Task InitializeAsync() => Hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
    {
        ["Connectors:HttpTotalTimeout"] = "00:00:05",
        ["Connectors:HttpRetryDelay"] = "00:00:00.050",
    });

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}

public sealed class HttpConnectorTimeoutTests(ShortTimeoutHubFixture fixture) : IClassFixture<ShortTimeoutHubFixture>
{
    // The body was read after the resilience pipeline, bound only by the scenario's timeoutSeconds (up to a day).
    [Fact]
    public async Task HttpSource_BodyThatTricklesIn_TimesOutWithTheHttpTimeouts()
    {
        await using var server = await LoopbackHttpServer.StartAsync(async (_, _, response) =>
        {
            response.ContentType = "application/json";
            await response.WriteAsync("[");
            await response.Body.FlushAsync();
            // A byte every half second for 15 s, three times the total timeout, until the client hangs up.
            for (var i = 0; i < 30; i++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), response.HttpContext.RequestAborted);
                await response.WriteAsync(" ");
            }
            await response.WriteAsync("]");
        });

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(new SourceSettings("http", server.Url("slow"))), CancellationToken.None));

        Assert.True(error.Retryable);
        Assert.Contains("timed out after 5 s", error.Message, StringComparison.Ordinal);
    }

    private static Scenario Scenario(SourceSettings source) => new()
    {
        Name = "Connector timeout test",
        WorkspaceId = Guid.NewGuid(),
        Source = source,
    };
}
