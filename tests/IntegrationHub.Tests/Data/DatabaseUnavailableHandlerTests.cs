using System.Net;
using System.Text;
using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scenarios;
using Npgsql;
using static IntegrationHub.Tests.Infrastructure.ProblemAssert;

namespace IntegrationHub.Tests.Data;

public sealed class DatabaseUnavailableHandlerTests
{
    [Fact]
    public async Task WhileTheDatabaseRefusesConnections_RequestsGet503WithRetryAfter_HealthSaysSo_AndTheHubRecovers()
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var hub = HubHost.Start(database);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!;
        var server = await PostgresServer.GetAsync();

        // Cut off, as by a database server that restarts: the hub's connections are ended, and new ones refused
        // (55000, the database is not accepting connections; a connection limit would not stop a superuser).
        await server.AdminAsync($"""ALTER DATABASE "{name}" ALLOW_CONNECTIONS false""",
            $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
        HttpResponseMessage trigger, list, health, live;
        try
        {
            trigger = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent("{\"id\":1}", Encoding.UTF8, "application/json"));
            list = await client.GetAsync("/api/v1/scenarios");
            health = await client.GetAsync("/health");
            live = await client.GetAsync("/health/live");
        }
        finally
        {
            await server.AdminAsync($"""ALTER DATABASE "{name}" ALLOW_CONNECTIONS true""");
        }

        foreach (var response in new[] { trigger, list })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(DatabaseUnavailableHandler.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
            Assert.Equal("Database unavailable", (await ProblemAsync(response)).GetProperty("title").GetString());
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        var again = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent("{\"id\":1}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task WhileTheDatabaseDiskIsFull_ATriggerGets503SayingSo_WithRetryAfter()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Postgres, new Dictionary<string, string?> { ["Runs:ExecuteRuns"] = "false" });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        // As PostgreSQL refuses a write when its disk is full (53100).
        await using (var connection = new NpgsqlConnection(hub.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
                CREATE TRIGGER refuse_insert BEFORE INSERT ON "Runs" FOR EACH ROW EXECUTE FUNCTION refuse_insert();
                """, connection);
            await command.ExecuteNonQueryAsync();
        }

        var trigger = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent("{\"id\":1}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, trigger.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(DatabaseUnavailableHandler.RetryAfterSeconds), trigger.Headers.RetryAfter?.Delta);
        var problem = await ProblemAsync(trigger);
        Assert.Equal("Database disk full", problem.GetProperty("title").GetString());
        Assert.Contains("disk of the hub's database is full", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("40P01", nameof(DatabaseTrouble.Contended))] // deadlock detected
    [InlineData("40001", nameof(DatabaseTrouble.Contended))] // serialization failure
    [InlineData("57P01", nameof(DatabaseTrouble.Unreachable))] // the server is shutting down
    [InlineData("53300", nameof(DatabaseTrouble.Unreachable))] // too many connections
    [InlineData("53100", nameof(DatabaseTrouble.DiskFull))] // disk full
    [InlineData("23505", nameof(DatabaseTrouble.None))] // a unique violation: the hub's own fault, a 500
    public void PostgresErrors_AreTold_ByWhetherTheServerWasThereButBusy(string sqlState, string expected)
    {
        // As EF throws them: the provider's exception inside its own.
        var error = new InvalidOperationException("wrapped", new PostgresException("from the server", "ERROR", "ERROR", sqlState));

        Assert.Equal(expected, DatabaseErrors.Classify(error).ToString());
    }

    [Theory]
    [InlineData(5, nameof(DatabaseTrouble.Contended))] // SQLITE_BUSY: another process held the write lock past the busy timeout
    [InlineData(6, nameof(DatabaseTrouble.Contended))] // SQLITE_LOCKED
    [InlineData(13, nameof(DatabaseTrouble.DiskFull))] // SQLITE_FULL
    [InlineData(14, nameof(DatabaseTrouble.Unreachable))] // SQLITE_CANTOPEN
    [InlineData(19, nameof(DatabaseTrouble.None))] // SQLITE_CONSTRAINT
    public void SqliteErrors_AreTold_ByWhetherTheFileWasThereButBusy(int code, string expected) =>
        Assert.Equal(expected, DatabaseErrors.Classify(new Microsoft.Data.Sqlite.SqliteException("from SQLite", code)).ToString());

}
