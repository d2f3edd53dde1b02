using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scenarios;
using Microsoft.Data.Sqlite;

namespace IntegrationHub.Tests.Secrets;

/// <summary>An SQLite hub without Secrets:Key keeps its key in a file beside the database file.</summary>
public sealed class SecretsKeyFileTests
{
    [Fact]
    public async Task FirstStart_MakesAKeyFileOnlyItsOwnerMayRead_BesideTheDatabase_AndLaterStartsReuseIt()
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var keyFile = Path.ChangeExtension(new SqliteConnectionStringBuilder(database.ConnectionString).DataSource, ".key");
        Assert.False(File.Exists(keyFile));
        ScenarioResponse created;
        await using (var first = HubHost.Start(database))
        {
            created = await ScenarioTestData.CreateScenarioAsync(first, ScenarioTestData.ScenarioJson(change: j =>
                j["source"] = new JsonObject { ["type"] = "http", ["url"] = "http://127.0.0.1:9/orders", ["headers"] = new JsonObject { ["Authorization"] = "Bearer kept" } }));
        }
        var key = await File.ReadAllTextAsync(keyFile);

        await using var second = HubHost.Start(database);
        using var admin = second.CreateAdminClient();
        var read = await admin.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{created.Id}", TestJson.Options);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }
        Assert.Equal(32, Convert.FromBase64String(key.Trim()).Length);
        Assert.Equal(key, await File.ReadAllTextAsync(keyFile));
        Assert.Equal("Bearer kept", read!.Source.Headers!["Authorization"]);
    }

    [Fact]
    public async Task Start_WithTheKeyFileGone_OfADatabaseHoldingSecrets_ExitsWith1_InsteadOfMakingANewKey()
    {
        var folder = Directory.CreateTempSubdirectory("hub-key-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Hub"] = $"Data Source={Path.Combine(folder, "hub.db")}",
            ["Secrets__Key"] = "",
        };
        var keyFile = Path.Combine(folder, "hub.key");
        // A first start makes the database, its key file and a Data Protection key encrypted with it (for the cookie).
        await using (var first = HubHost.Start(new TestDatabase(DatabaseProvider.Sqlite, settings["ConnectionStrings__Hub"])))
        {
            await first.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        }
        Assert.True(File.Exists(keyFile));
        File.Delete(keyFile);

        var hub = await HubProcess.RunUntilExitAsync(settings);

        Assert.Equal(1, hub.ExitCode);
        Assert.Contains($"IntegrationHub could not start: the key file {keyFile} is missing, but the database holds secrets", hub.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(keyFile));
    }

    [Fact]
    public async Task Start_WithADamagedKeyFile_ExitsWith1AndNamesTheFile()
    {
        var folder = Directory.CreateTempSubdirectory("hub-key-").FullName;
        var keyFile = Path.Combine(folder, "hub.key");
        await File.WriteAllTextAsync(keyFile, "not a key\n");

        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Hub"] = $"Data Source={Path.Combine(folder, "hub.db")}",
            ["Secrets__Key"] = "",
        });

        Assert.Equal(1, hub.ExitCode);
        Assert.Contains($"IntegrationHub could not start: the key file {keyFile} does not hold a key: it is not base64", hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", hub.Output, StringComparison.Ordinal);
        Assert.Equal("not a key\n", await File.ReadAllTextAsync(keyFile));
    }
}
