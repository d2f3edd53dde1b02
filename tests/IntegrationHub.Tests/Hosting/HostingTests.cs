using System.Net;
using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace IntegrationHub.Tests.Hosting;

public sealed class HostingTests
{
    [Theory, AllDatabases]
    public async Task Start_OnEmptyDatabase_MigratesAndReportsHealthy(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateHttpClient();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
        Assert.Equal(provider, hub.Services.GetRequiredService<HubConnectionString>().Provider);
    }

    [Fact]
    public async Task PostgresConnections_PrepareTheHubsStatements_UnlessTheConnectionStringSaysOtherwise()
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using (var hub = HubHost.Start(database))
        {
            Assert.True(AutoPrepared(hub) > 0);
        }

        await using (var hub = HubHost.Start(database, new Dictionary<string, string?> { ["ConnectionStrings:Hub"] = database.ConnectionString + ";Max Auto Prepare=0" }))
        {
            Assert.Equal(0, AutoPrepared(hub));
        }

        static int AutoPrepared(HubHost hub) =>
            new NpgsqlConnectionStringBuilder(hub.Services.GetRequiredService<HubConnectionString>().Value).MaxAutoPrepare;
    }

    [Theory, AllDatabases]
    public async Task UnknownRoute_Returns404ProblemDetails(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateHttpClient();

        var response = await client.GetAsync("/no/such/page");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OpenApiDocument_AndItsReferencePage_AreServed()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        var response = await client.GetAsync("/openapi/v1.json");
        // Scalar serves the page at /api/reference/ (the bare path redirects there).
        var reference = await client.GetAsync("/api/reference/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"openapi\"", document, StringComparison.Ordinal);
        Assert.Contains("/ExternalData/Accept/{scenarioId}", document, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Equal("text/html", reference.Content.Headers.ContentType?.MediaType);
    }
}
