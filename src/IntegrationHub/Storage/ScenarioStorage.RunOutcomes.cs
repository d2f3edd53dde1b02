using IntegrationHub.Data;
using Npgsql;
using NpgsqlTypes;

namespace IntegrationHub.Storage;

/// <summary>A storage change a run made, to commit with the run's outcome.</summary>
internal sealed record RunStorageChange(Guid RunId, string Owner, Guid WorkspaceId, Guid ScenarioId, StorageChange Change);

// The storage changes of runs, written in the transaction that records their outcomes (see StorageChanges).
public sealed partial class ScenarioStorage
{
    // A run's changes are written only where its outcome was recorded: the run row now says Succeeded, under this
    // node's lease, at this outcome's time. A node that lost the run's lease to another records nothing, and so writes
    // nothing. Checked in SQL so that the outcome, the changes and the commit can travel to PostgreSQL in one round trip.
    private const string OutcomeRecorded =
        """EXISTS (SELECT 1 FROM "Runs" WHERE "Id" = @run AND "Status" = 'Succeeded' AND "LeaseOwner" = @owner AND "FinishedAt" = @now)""";

    // The cast types a null expiry for PostgreSQL, which infers a parameter's type from a column in VALUES but not in SELECT.
    private const string RunUpsertSql =
        $"""
        {InsertInto}
        SELECT @id, @workspace, @scenario, @key, @value, @now, CAST(@expires AS BIGINT) WHERE {OutcomeRecorded}
        {ReplaceOnConflict}
        """;

    private const string RunDeleteSql = $"""{DeleteSql} AND {OutcomeRecorded}""";

    // PostgreSQL: the stored values of a group of runs in one statement. Of the changes whose run's outcome was recorded,
    // the last of each key (the changes come in the order they are to be written, n); an INSERT may not change one row
    // twice. The rows are written in that order, which is the order in which every writer of several entries locks them.
    private const string PostgresRunUpserts =
        $"""
        {InsertInto}
        SELECT id, workspace, scenario, entry_key, entry_value, @now, expires FROM (
            SELECT DISTINCT ON (c.scenario, c.entry_key) c.*
            FROM unnest(@runs, @owners, @ids, @workspaces, @scenarios, @keys, @values, @expires) WITH ORDINALITY
                AS c(run, owner, id, workspace, scenario, entry_key, entry_value, expires, n)
            JOIN "Runs" r ON r."Id" = c.run AND r."Status" = 'Succeeded' AND r."LeaseOwner" = c.owner AND r."FinishedAt" = @now
            ORDER BY c.scenario, c.entry_key, c.n DESC) AS latest
        ORDER BY n
        {ReplaceOnConflict}
        """;

    /// <summary>
    /// The statement that applies <paramref name="change"/>, for the caller to execute after the statement that records
    /// its run as Succeeded at <paramref name="now"/>, in the same transaction. It writes nothing unless that statement did.
    /// </summary>
    internal static HubSql.Statement RunOutcomeStatement(RunStorageChange change, DateTimeOffset now)
    {
        // The guard's @now is the outcome's time; the upsert binds it already, as the entry's UpdatedAt.
        (string, object?)[] guard = [("run", change.RunId), ("owner", change.Owner)];
        return change.Change.ValueJson is null
            ? new(RunDeleteSql, [.. DeleteStatement(change.ScenarioId, change.Change.Key).Parameters, .. guard, ("now", now)])
            : new(RunUpsertSql, [.. UpsertStatement(change.WorkspaceId, change.ScenarioId, change.Change, now).Parameters, .. guard]);
    }

    /// <summary>
    /// PostgreSQL: the commands that apply <paramref name="changes"/> (given in the order to write them), for the caller
    /// to execute after the statement that records their runs' outcomes at <paramref name="now"/>, in the same
    /// transaction. Stored values take one command for the whole group; a group that deletes a key takes one per change,
    /// so that its deletions and upserts still lock the entries in one order.
    /// </summary>
    internal static IEnumerable<NpgsqlBatchCommand> PostgresRunOutcomeChanges(IReadOnlyList<RunStorageChange> changes, DateTimeOffset now)
    {
        if (changes.Count == 0)
        {
            return [];
        }
        if (changes.Any(c => c.Change.ValueJson is null))
        {
            return changes.Select(c => RunOutcomeStatement(c, now).ToBatchCommand());
        }

        var command = new NpgsqlBatchCommand(PostgresRunUpserts);
        command.Parameters.AddWithValue("now", now.UtcTicks);
        command.Parameters.AddWithValue("runs", changes.Select(c => c.RunId).ToArray());
        command.Parameters.AddWithValue("owners", changes.Select(c => c.Owner).ToArray());
        command.Parameters.AddWithValue("ids", changes.Select(_ => Guid.CreateVersion7(now)).ToArray());
        command.Parameters.AddWithValue("workspaces", changes.Select(c => c.WorkspaceId).ToArray());
        command.Parameters.AddWithValue("scenarios", changes.Select(c => c.ScenarioId).ToArray());
        command.Parameters.AddWithValue("keys", changes.Select(c => c.Change.Key).ToArray());
        command.Parameters.AddWithValue("values", changes.Select(c => c.Change.ValueJson!).ToArray());
        command.Parameters.AddWithValue("expires", NpgsqlDbType.Array | NpgsqlDbType.Bigint, changes.Select(c => c.Change.ExpiresAt?.UtcTicks).ToArray());
        return [command];
    }
}
