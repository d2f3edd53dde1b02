using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

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

    [Fact]
    public async Task FailingCheckpoints_LogTheFirstWithItsTrace_ThenAShortLineNowAndThen()
    {
        // Not a database: every checkpoint fails, as on a full disk, at every tick.
        var file = Path.Combine(Path.GetTempPath(), "hub-not-a-db-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(file, new string('x', 8192));
        var log = new LogCapture();
        using var checkpointer = new SqliteCheckpointer(
            new HubConnectionString(DatabaseProvider.Sqlite, $"Data Source={file};Pooling=False"),
            Options.Create(new DatabaseOptions { SqliteCheckpointInterval = TimeSpan.FromMilliseconds(1) }),
            TimeProvider.System, new StartedLifetime(), log.LoggerFor<SqliteCheckpointer>());
        try
        {
            await checkpointer.StartAsync(CancellationToken.None);
            // Eight failures in a row are logged by the 8th; a checkpointer that logs each one never writes that line.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!log.Entries.Any(e => e.Message.Contains("failed 8 times in a row", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
            await checkpointer.StopAsync(CancellationToken.None);
        }
        finally
        {
            File.Delete(file);
        }

        var entries = log.Entries.TakeWhile(e => !e.Message.Contains("failed 16 times", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, entries.Count);
        Assert.NotNull(entries[0].Exception);
        Assert.All(entries.Skip(1), entry => Assert.Null(entry.Exception));
        Assert.Equal(["2 times", "4 times", "8 times"], entries.Skip(1).Select(e => e.Message.Split("failed ")[1].Split(" in a row")[0]));
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
