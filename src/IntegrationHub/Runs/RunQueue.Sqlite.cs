using IntegrationHub.Data;

namespace IntegrationHub.Runs;

// SQLite's enqueue: one node, one writer at a time, everything in process.
internal sealed partial class RunQueue
{
    // A scenario's queue bound, and its queued runs counted only where the bound cannot vouch for the arriving runs.
    // Counted up to the largest MaxQueuedRuns among them, all the decision needs: the cost stays bounded by the limit.
    private const string SqliteQueuedCount =
        """
        SELECT s."QueuedRunsBound", CASE WHEN s."QueuedRunsBound" + @arriving > @least THEN (SELECT count(*) FROM (
            SELECT 1 FROM "Runs" r WHERE r."ScenarioId" = s."Id" AND r."Status" = 'Queued' LIMIT @most)) END
        FROM "Scenarios" s WHERE s."Id" = @id
        """;

    // The run an Idempotency-Key first queued within the window. Through the key's own index: the scenario's index of
    // every run (IX_Runs_ByScenario) would read all of the scenario's runs of the last 24 hours.
    internal const string SqliteFirstRunOfKey =
        """
        SELECT "Id" FROM "Runs" INDEXED BY "IX_Runs_ScenarioId_IdempotencyKey"
        WHERE "ScenarioId" = @scenario AND "IdempotencyKey" = @key AND "QueuedAt" >= @since
        ORDER BY "QueuedAt" LIMIT 1
        """;

    private static async Task<EnqueueResult[]> WriteSqliteAsync(
        PreparedCommands commands, IReadOnlyList<NewRun> batch, ArrivalLimits[] arrivals, (Guid, string)[] keys, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // BEGIN IMMEDIATE: this transaction holds SQLite's single write lock from the start, so the queue counts and
        // Idempotency-Key lookups below stay true until the commit. Everything runs in process: no round trips to save.
        var connection = commands.Connection;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var queued = new Dictionary<Guid, QueuedCount>(arrivals.Length);
        var read = commands.For(transaction, SqliteQueuedCount);
        var id = read.Add("id", null);
        var arriving = read.Add("arriving", null);
        var least = read.Add("least", null);
        var most = read.Add("most", null);
        foreach (var limits in arrivals)
        {
            id.Set(sqlite: true, limits.ScenarioId);
            arriving.Value = limits.Arriving;
            least.Value = limits.Least;
            most.Value = limits.Most;
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                queued[limits.ScenarioId] = new QueuedCount(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), limits.Most);
            }
        }
        var firstByKey = new Dictionary<(Guid, string), Guid>();
        if (keys.Length > 0)
        {
            var find = commands.For(transaction, SqliteFirstRunOfKey);
            var scenario = find.Add("scenario", null);
            var key = find.Add("key", null);
            find.Add("since", now - IdempotencyWindow);
            foreach (var (scenarioId, value) in keys)
            {
                scenario.Set(sqlite: true, scenarioId);
                key.Set(sqlite: true, value);
                if (await find.ExecuteScalarAsync(cancellationToken) is string first)
                {
                    firstByKey[(scenarioId, value)] = Guid.Parse(first);
                }
            }
        }

        var counts = queued.ToDictionary(q => q.Key, q => q.Value.Known);
        var (results, ids, rows) = Decide(batch, counts, firstByKey, now);
        var inserted = new bool[rows.Count];
        // One prepared statement executed per row.
        for (var j = 0; j < rows.Count; j++)
        {
            var i = rows[j];
            inserted[j] = await commands.For(transaction, Insert(batch[i], ids[i], now)).ExecuteNonQueryAsync(cancellationToken) == 1;
        }
        var lastRuns = LastRunUpdates(Enumerable.Range(0, rows.Count).Where(j => inserted[j]).Select(j => (batch[rows[j]].ScenarioId, ids[rows[j]])));
        await commands.ExecuteAsync(transaction, [.. QueuedRunsBound.Updates(queued, counts), .. lastRuns], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await ResolveAsync(connection, batch, results, ids, rows, inserted, cancellationToken);
    }
}
