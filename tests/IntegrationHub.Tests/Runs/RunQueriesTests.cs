using System.Text;
using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Tests.Runs;

/// <summary>The run history's status filter, as the database plans it.</summary>
public sealed class RunQueriesTests
{
    [Theory, AllDatabases]
    public async Task AWorkspacesFailedRuns_AreReadThroughTheIndexOfFailedRuns_NotTheWholeHistory(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        await using var db = await RunsTestData.CreateDbAsync(hub);
        var workspaceId = Guid.NewGuid();
        var failed = db.Runs.Where(r => r.WorkspaceId == workspaceId).InStatus(RunStatus.Failed).OrderByDescending(r => r.QueuedAt).Take(20);

        var plan = await ExplainAsync(db, failed, provider);

        Assert.Contains("IX_Runs_WorkspaceId_QueuedAt_Failed", plan, StringComparison.Ordinal);
    }

    private static async Task<string> ExplainAsync(HubDbContext db, IQueryable<Run> query, DatabaseProvider provider)
    {
        await db.Database.OpenConnectionAsync();
        if (provider == DatabaseProvider.Postgres)
        {
            // An empty table is cheapest to read whole; the question is which index serves a large one.
            await db.Database.ExecuteSqlRawAsync("SET enable_seqscan = off");
        }
        await using var command = query.CreateDbCommand();
        command.CommandText = (provider == DatabaseProvider.Sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + command.CommandText;
        await using var reader = await command.ExecuteReaderAsync();
        var plan = new StringBuilder();
        while (await reader.ReadAsync())
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                plan.Append(reader.GetValue(i)).Append(' ');
            }
            plan.AppendLine();
        }
        return plan.ToString();
    }
}
