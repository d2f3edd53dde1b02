using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Tests.Connectors;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scenarios;

namespace IntegrationHub.Tests.Hosting;

public sealed class ContentRootTests
{
    [Fact]
    public async Task Hub_StartedFromAnotherFolder_ReadsItsAppSettings_KeepsDataInItsFolder_AndLogsNoRoutineHttpOrSql()
    {
        var elsewhere = Directory.CreateTempSubdirectory("hub-elsewhere-").FullName;
        var appFolder = Path.GetDirectoryName(HubProcess.AppAssembly())!;
        var data = "data-" + Guid.NewGuid().ToString("N");
        await using var remote = await LoopbackHttpServer.StartAsync((_, _) => (200, """[{"id": 1}]"""));
        string output;
        try
        {
            await using (var hub = await HubProcess.StartAsync(elsewhere, new Dictionary<string, string> { ["ConnectionStrings__Hub"] = $"Data Source={data}/hub.db" }))
            {
                using var admin = hub.CreateAdminClient();
                var scenario = ScenarioTestData.ScenarioJson(change: json =>
                {
                    json["source"] = new JsonObject { ["type"] = "http", ["url"] = remote.Url("/orders") };
                    json["sourceScript"] = "return data;";
                    json["target"] = new JsonObject { ["type"] = "http", ["url"] = remote.Url("/erp") };
                });
                var created = await admin.PostAsJsonAsync("/api/v1/scenarios", scenario, TestJson.Options);
                var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString();

                // A GET: a POSTed trigger's body would stand in for the source.
                var run = await admin.GetAsync($"/ExternalData/Accept/{id}?wait=60");

                Assert.Equal(HttpStatusCode.OK, run.StatusCode);
                Assert.Equal(["GET /orders", "POST /erp"], remote.Received.Select(r => $"{r.Method} {r.Path}"));
                output = hub.Output;
            }

            // appsettings.json and data/ of the hub's folder, not of the current directory.
            Assert.Contains($"Content root path: {appFolder}", output, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(appFolder, data, "hub.db")));
            Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
            // Each HTTP call wrote five Information entries (two handlers' start and end, Polly's attempt), EF every statement.
            Assert.DoesNotContain("System.Net.Http.HttpClient", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Polly", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Microsoft.EntityFrameworkCore", output, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(Path.Combine(appFolder, data)))
            {
                Directory.Delete(Path.Combine(appFolder, data), recursive: true);
            }
        }
    }

    [Fact]
    public async Task Hub_StartedFromAFolderHoldingTheDatabaseOfAnEarlierStart_KeepsThatFolderAndItsData()
    {
        // Hubs before the content-root rule kept data/ in the folder they were started from; an upgrade goes on there.
        var earlier = Directory.CreateTempSubdirectory("hub-earlier-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(earlier, "data"));
            using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(earlier, "data", "integrationhub.db")};Pooling=false"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "CREATE TABLE \"EarlierHub\" (\"Mark\" TEXT)";
                command.ExecuteNonQuery();
            }

            string output;
            await using (var hub = await HubProcess.StartAsync(earlier, new Dictionary<string, string>()))
            {
                using var admin = hub.CreateAdminClient();
                Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/scenarios")).StatusCode);
                output = hub.Output;
            }

            Assert.Contains($"Content root path: {earlier}", output, StringComparison.Ordinal);
            using var migrated = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(earlier, "data", "integrationhub.db")};Pooling=false");
            migrated.Open();
            using var tables = migrated.CreateCommand();
            tables.CommandText = "SELECT count(*) FROM sqlite_master WHERE name IN ('EarlierHub', 'Scenarios')";
            Assert.Equal(2L, tables.ExecuteScalar());
        }
        finally
        {
            Directory.Delete(earlier, recursive: true);
        }
    }
}
