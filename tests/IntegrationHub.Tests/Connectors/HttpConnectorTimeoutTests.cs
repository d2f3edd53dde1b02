using System.Text.RegularExpressions;
using IntegrationHub.Connectors;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Connectors;

/// <summary>A hub whose http calls give up after 5 s in all and wait at most 100 ms to retry, so that its tests end soon.</summary>
public sealed class ShortTimeoutHubFixture : IAsyncLifetime
{
    internal HubHost Hub { get; private set; } = null!;

    internal ConnectorRegistry Registry => Hub.Services.GetRequiredService<ConnectorRegistry>();

    public async Task InitializeAsync() => Hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
    {
        ["Connectors:HttpTotalTimeout"] = "00:00:05",
        ["Connectors:HttpRetryDelay"] = "00:00:00.050",
        ["Connectors:HttpMaxRetryDelay"] = "00:00:00.100",
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

    // Retry-After: 100 was waited out in full, and the call failed as a timeout of HttpTotalTimeout.
    [Fact]
    public async Task HttpSource_RetryAfterLongerThanTheMaxRetryDelay_IsRetriedAfterTheMaxRetryDelay()
    {
        await using var server = await LoopbackHttpServer.StartAsync(async (_, n, response) =>
        {
            if (n < 2)
            {
                response.StatusCode = 503;
                response.Headers.RetryAfter = "100";
                return;
            }
            response.ContentType = "application/json";
            await response.WriteAsync("[1]");
        });

        var records = await fixture.Registry.FindSource("http")!.ReadAsync(Scenario(new SourceSettings("http", server.Url("busy"))), CancellationToken.None);

        Assert.Equal("1", Assert.Single(records).GetRawText());
        Assert.Equal(3, server.Received.Count);
    }

    // The run's error said only "timed out after 120 s", not that the server had answered 503.
    [Fact]
    public async Task HttpSource_TimingOutAfterA503_SaysWhatTheServerAnswered()
    {
        await using var server = await LoopbackHttpServer.StartAsync(async (_, n, response) =>
        {
            if (n == 0)
            {
                response.StatusCode = 503;
                return;
            }
            await Task.Delay(Timeout.InfiniteTimeSpan, response.HttpContext.RequestAborted);
        });

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(new SourceSettings("http", server.Url("overloaded"))), CancellationToken.None));

        Assert.True(error.Retryable);
        Assert.EndsWith("timed out after 5 s on the last of 2 tries; before that it answered 503 Service Unavailable.", error.Message, StringComparison.Ordinal);
    }

    // A try that timed out may have reached the target, which then acted on the record twice; the run's log said
    // only "Wrote 1 record".
    [Fact]
    public async Task HttpTarget_AttemptTimedOutThenSuccess_TellsTheRunsLogOfTheRetry()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Connectors:HttpAttemptTimeout"] = "00:00:01",
            ["Connectors:HttpRetryDelay"] = "00:00:00.050",
        });
        await using var server = await LoopbackHttpServer.StartAsync(async (_, n, response) =>
        {
            if (n == 0)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, response.HttpContext.RequestAborted);
            }
            response.StatusCode = 201;
        });
        var log = new ConnectorTestLog();
        var scenario = new Scenario { Name = "Retry log", WorkspaceId = Guid.NewGuid(), Target = new TargetSettings("http", server.Url("orders")) };

        await hub.Services.GetRequiredService<ConnectorRegistry>().FindTarget("http")!.WriteAsync(
            new TargetContext(scenario, Guid.NewGuid(), new StorageChanges(maxKeys: 1), log), HttpConnectorTests.Records("[{}]"), CancellationToken.None);

        // On a slow machine a later try may time out as well; the first is the one this is about.
        Assert.True(server.Received.Count >= 2);
        Assert.Matches(
            $@"^Record 1 of 1: The http target: POST {Regex.Escape(server.Url("orders"))} timed out after 1 s; trying again in [0-9.]+ s \(attempt 2 of 4\)\.$",
            log.Warnings[0]);
    }

    private static Scenario Scenario(SourceSettings source) => new()
    {
        Name = "Connector timeout test",
        WorkspaceId = Guid.NewGuid(),
        Source = source,
    };
}
