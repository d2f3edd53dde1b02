using IntegrationHub.Data;
using IntegrationHub.Storage;
using Npgsql;
using NpgsqlTypes;

namespace IntegrationHub.Runs;

// PostgreSQL's outcomes: a group of outcomes in one statement rather than one statement per run.
internal sealed partial class RunStore
{
    // Every outcome of the group in one UPDATE over arrays, the stored values of the successes in one INSERT (see
    // ScenarioStorage.PostgresRunOutcomeChanges), instead of a statement per run and per value, each with its own
    // parameters to bind, executor to start and result to read, on both sides. The runs are locked in id order first,
    // the order in which every writer locks several runs (lease renewals, live logs), as one UPDATE locks its rows in
    // no promised order.
    private const string PostgresOutcomes =
        """
        WITH outcome AS (
            SELECT * FROM unnest(@ids, @owners, @statuses, @finished, @available, @in, @out, @logs, @results, @errors, @lines, @columns)
                AS o(id, owner, status, finished, available, records_in, records_out, log, result, error, line, col)),
        locked AS (
            SELECT r."Id" FROM "Runs" r JOIN outcome o ON r."Id" = o.id AND r."Status" = 'Running' AND r."LeaseOwner" = o.owner
            ORDER BY r."Id" FOR UPDATE OF r)
        UPDATE "Runs" r SET "Status" = o.status, "FinishedAt" = o.finished, "AvailableAt" = o.available, "LeaseExpiresAt" = NULL,
            "RecordsIn" = o.records_in, "RecordsOut" = o.records_out, "Log" = o.log, "Result" = o.result, "Error" = o.error,
            "ErrorLine" = o.line, "ErrorColumn" = o.col
        FROM outcome o
        WHERE r."Id" = o.id AND r."Id" IN (SELECT "Id" FROM locked) AND r."Status" = 'Running' AND r."LeaseOwner" = o.owner
        RETURNING r."Id"
        """;

    /// <summary>
    /// PostgreSQL: the outcomes, the storage changes of the successes (each written only where its run's outcome was)
    /// and the queue bounds of the retries, in one transaction and one round trip. Returns the runs whose outcome was recorded.
    /// </summary>
    private static async Task<HashSet<Guid>> CompletePostgresAsync(
        NpgsqlConnection connection, OutcomeValues[] outcomes, List<RunStorageChange> storage, List<HubSql.Statement> bounds,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        batch.BatchCommands.Add(OutcomesCommand(outcomes));
        foreach (var command in ScenarioStorage.PostgresRunOutcomeChanges(storage, now).Concat(bounds.Select(b => b.ToBatchCommand())))
        {
            batch.BatchCommands.Add(command);
        }
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));

        var recorded = new HashSet<Guid>(outcomes.Length);
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            // The outcomes' RETURNING first (Npgsql passes over BEGIN, which returns no rows); then every further result
            // is read through, so that a failed storage change or commit surfaces here rather than as recorded outcomes.
            while (await reader.ReadAsync(cancellationToken))
            {
                recorded.Add(reader.GetGuid(0));
            }
            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }
        catch
        {
            await HubSql.RollBackAsync(connection);
            throw;
        }
        return recorded;
    }

    private static NpgsqlBatchCommand OutcomesCommand(OutcomeValues[] outcomes)
    {
        var command = new NpgsqlBatchCommand(PostgresOutcomes);
        command.Parameters.AddWithValue("ids", outcomes.Select(o => o.Id).ToArray());
        command.Parameters.AddWithValue("owners", outcomes.Select(o => o.Owner).ToArray());
        command.Parameters.AddWithValue("statuses", outcomes.Select(o => o.Status.ToString()).ToArray());
        command.Parameters.AddWithValue("finished", NpgsqlDbType.Array | NpgsqlDbType.Bigint, outcomes.Select(o => o.FinishedAt?.UtcTicks).ToArray());
        command.Parameters.AddWithValue("available", outcomes.Select(o => o.AvailableAt.UtcTicks).ToArray());
        command.Parameters.AddWithValue("in", outcomes.Select(o => o.RecordsIn).ToArray());
        command.Parameters.AddWithValue("out", outcomes.Select(o => o.RecordsOut).ToArray());
        command.Parameters.AddWithValue("logs", outcomes.Select(o => o.Log).ToArray());
        command.Parameters.AddWithValue("results", NpgsqlDbType.Array | NpgsqlDbType.Text, outcomes.Select(o => o.Result).ToArray());
        command.Parameters.AddWithValue("errors", NpgsqlDbType.Array | NpgsqlDbType.Text, outcomes.Select(o => o.Error).ToArray());
        command.Parameters.AddWithValue("lines", NpgsqlDbType.Array | NpgsqlDbType.Integer, outcomes.Select(o => o.ErrorLine).ToArray());
        command.Parameters.AddWithValue("columns", NpgsqlDbType.Array | NpgsqlDbType.Integer, outcomes.Select(o => o.ErrorColumn).ToArray());
        return command;
    }
}
