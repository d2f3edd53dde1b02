using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Tests.Data;

/// <summary>A database whose migrations this build does not continue is refused at start, with one line, before anything is written.</summary>
public sealed class MigrationHistoryTests
{
    // Starting an older build after an upgrade (a rollback, a node left behind) went ahead on a schema it did not know.
    [Theory, AllDatabases]
    public async Task Start_OnADatabaseANewerBuildUpgraded_ExitsWith1_SayingToRunThatVersion(DatabaseProvider provider)
    {
        var database = await DatabaseWithHistoryAsync(provider,
            """INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion") VALUES ('29990101000000_FromANewerBuild', '10.0.0')""");

        var hub = await HubProcess.RunUntilExitAsync(Settings(database));

        Assert.Equal(1, hub.ExitCode);
        Assert.Contains("IntegrationHub could not start: the database was upgraded by a newer IntegrationHub: it holds migrations this "
            + "build does not know (29990101000000_FromANewerBuild)", hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", hub.Output, StringComparison.Ordinal);
    }

    // A database of the development builds whose first migration had another id crashed the start with "table
    // DataProtectionKeys already exists" and a stack trace, every time a service manager restarted it.
    [Theory, AllDatabases]
    public async Task Start_OnADatabaseOfAnotherLineOfBuilds_ExitsWith1_SayingToStartANewOne(DatabaseProvider provider)
    {
        var database = await DatabaseWithHistoryAsync(provider,
            """UPDATE "__EFMigrationsHistory" SET "MigrationId" = '20261128152636_InitialCreate' WHERE "MigrationId" LIKE '%\_InitialCreate' ESCAPE '\'""");

        var hub = await HubProcess.RunUntilExitAsync(Settings(database));

        Assert.Equal(1, hub.ExitCode);
        Assert.Contains("IntegrationHub could not start: the database's schema history is not one this build continues: it holds "
            + "migrations this build does not know (20261128152636_InitialCreate) and lacks 1 of its own.", hub.Output, StringComparison.Ordinal);
        Assert.Contains("start with a new database (ConnectionStrings:Hub)", hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", hub.Output, StringComparison.Ordinal);
    }

    // During a rolling upgrade a node of the older version went on reading and writing the schema the newer one made.
    [Theory, AllDatabases]
    public async Task ANodeRunning_WhenANewerBuildUpgradesTheDatabase_StopsSayingWhy(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateAsync(provider);
        await using var node = await HubProcess.StartAsync(database, new Dictionary<string, string> { ["Database__SchemaCheckInterval"] = "00:00:00.500" });

        // As the newer build's start does, beside it.
        await using (var newer = HubHost.Start(database, new Dictionary<string, string?>(RunsTestData.NoWorkers) { ["Database:SchemaCheckInterval"] = "01:00:00" }))
        {
            await using var db = await RunsTestData.CreateDbAsync(newer);
            await db.Database.ExecuteSqlRawAsync(
                """INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion") VALUES ('29990101000000_FromANewerBuild', '10.0.0')""");
        }

        Assert.True(await node.WaitForExitAsync(TimeSpan.FromSeconds(60)), node.Output);
        Assert.Contains("This node stops: the database was upgraded by a newer IntegrationHub", node.Output, StringComparison.Ordinal);
    }

    /// <summary>A database the hub migrated, its migration history then changed by <paramref name="sql"/>.</summary>
    private static async Task<TestDatabase> DatabaseWithHistoryAsync(DatabaseProvider provider, string sql)
    {
        var database = await TestDatabase.CreateAsync(provider);
        await using var hub = HubHost.Start(database, RunsTestData.NoWorkers);
        await using var db = await RunsTestData.CreateDbAsync(hub);
        Assert.Equal(1, await db.Database.ExecuteSqlRawAsync(sql));
        return database;
    }

    private static Dictionary<string, string> Settings(TestDatabase database)
    {
        var settings = new Dictionary<string, string>
        {
            ["Database__Provider"] = database.Provider.ToString(),
            ["ConnectionStrings__Hub"] = database.ConnectionString,
        };
        if (database.SecretsKey is { } key)
        {
            settings["Secrets__Key"] = key;
        }
        return settings;
    }
}
