using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using Microsoft.Data.Sqlite;

namespace IntegrationHub.Tests.Data;

public sealed class SqliteCheckpointerTests
{
    [Fact]
    public async Task CommittedRuns_AreCopiedIntoTheDatabaseFile_LongBeforeTheLogFillsUp()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var payload = $"{{\"note\":\"{new string('x', 2000)}\"}}";
        for (var i = 0; i < 50; i++)
        {
            await RunsTestData.EnqueueAsync(hub, scenario, payload);
        }

        // immutable=1 reads the database file alone, without the write-ahead log. Fifty small runs are far from the
        // 1,000 log pages at which a commit would copy them itself, so only the background checkpoints put them there.
        var file = new SqliteConnectionStringBuilder(hub.Database.ConnectionString).DataSource;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long inFile;
        while ((inFile = await CountRunsInFileAsync(file, scenario.Id)) < 50 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(50, inFile);
    }

    private static async Task<long> CountRunsInFileAsync(string file, Guid scenarioId)
    {
        await using var db = new SqliteConnection($"Data Source=file:{file}?immutable=1;Pooling=False");
        await db.OpenAsync();
        await using var count = db.CreateCommand();
        count.CommandText = """SELECT count(*) FROM "Runs" WHERE "ScenarioId" = $id""";
        count.Parameters.AddWithValue("$id", scenarioId.ToString().ToUpperInvariant());
        try
        {
            return (long)(await count.ExecuteScalarAsync())!;
        }
        catch (SqliteException)
        {
            return 0; // the Runs table itself is not in the file yet
        }
    }
}
