using System.Data.Common;
using IntegrationHub.Data;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Storage;

/// <summary>
/// The hub's internal key-value data storage, one namespace per scenario. Keys are canonical JSON
/// (see <see cref="StorageKey"/>), values are JSON text. Expired entries read as absent.
/// </summary>
internal sealed class ScenarioStorage(IDbContextFactory<HubDbContext> dbFactory, SqliteWriteGate writeGate, TimeProvider time)
{
    /// <summary>The longest time to live a value may be given, through the API or a script: ten years.</summary>
    public const int MaxTtlSeconds = 315_360_000;

    // One statement on both providers: two writers of the same key never collide on the unique index.
    private const string UpsertSql =
        """
        INSERT INTO "StorageEntries" ("Id", "WorkspaceId", "ScenarioId", "Key", "Value", "UpdatedAt", "ExpiresAt")
        VALUES (@id, @workspace, @scenario, @key, @value, @now, @expires)
        ON CONFLICT ("ScenarioId", "Key") DO UPDATE SET "Value" = excluded."Value", "UpdatedAt" = excluded."UpdatedAt", "ExpiresAt" = excluded."ExpiresAt"
        """;

    private const string DeleteSql = """DELETE FROM "StorageEntries" WHERE "ScenarioId" = @scenario AND "Key" = @key""";

    /// <summary>The stored value as JSON, or null when there is none or it expired.</summary>
    public async Task<string?> GetAsync(Guid scenarioId, string canonicalKey, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.StorageEntries
            .Where(e => e.ScenarioId == scenarioId && e.Key == canonicalKey && (e.ExpiresAt == null || e.ExpiresAt > now))
            .Select(e => e.Value)
            .FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>Stores or replaces a value. A <paramref name="timeToLive"/> makes it expire.</summary>
    public async Task SetAsync(Guid workspaceId, Guid scenarioId, string canonicalKey, string valueJson, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await ExecuteAsync(UpsertStatement(workspaceId, scenarioId, new StorageChange(canonicalKey, valueJson, now + timeToLive), now), cancellationToken);
    }

    // An expired entry reads as absent, so its delete answers as for an absent one (it answered 204 where a read said
    // 404); the row goes all the same, as housekeeping would remove it.
    private const string DeleteLiveSql = $"""{DeleteSql} RETURNING ("ExpiresAt" IS NULL OR "ExpiresAt" > @now)""";

    /// <summary>Removes a value; false when there was none, or it had expired.</summary>
    public async Task<bool> DeleteAsync(Guid scenarioId, string canonicalKey, CancellationToken cancellationToken)
    {
        var statement = new HubSql.Statement(DeleteLiveSql, [.. DeleteStatement(scenarioId, canonicalKey).Parameters, ("now", time.GetUtcNow())]);
        var live = await ExecuteAsync(statement, (command, token) => command.ExecuteScalarAsync(token), cancellationToken);
        // SQLite answers the condition as 1 or 0, PostgreSQL as a boolean; no row when nothing was stored under the key.
        return live is not (null or DBNull) && Convert.ToBoolean(live, System.Globalization.CultureInfo.InvariantCulture);
    }

    // A run's changes are written in the transaction that records its outcome, and only where that outcome was
    // recorded: the run row now says Succeeded, under this node's lease, at this outcome's time. A node that lost the
    // run's lease to another records nothing, and so writes nothing. Checked in SQL so that the outcome, the changes and
    // the commit can travel to PostgreSQL in one round trip.
    private const string OutcomeRecorded =
        """EXISTS (SELECT 1 FROM "Runs" WHERE "Id" = @run AND "Status" = 'Succeeded' AND "LeaseOwner" = @owner AND "FinishedAt" = @now)""";

    // The cast types a null expiry for PostgreSQL, which infers a parameter's type from a column in VALUES but not in SELECT.
    private const string RunUpsertSql =
        $"""
        INSERT INTO "StorageEntries" ("Id", "WorkspaceId", "ScenarioId", "Key", "Value", "UpdatedAt", "ExpiresAt")
        SELECT @id, @workspace, @scenario, @key, @value, @now, CAST(@expires AS BIGINT) WHERE {OutcomeRecorded}
        ON CONFLICT ("ScenarioId", "Key") DO UPDATE SET "Value" = excluded."Value", "UpdatedAt" = excluded."UpdatedAt", "ExpiresAt" = excluded."ExpiresAt"
        """;

    private const string RunDeleteSql = $"""{DeleteSql} AND {OutcomeRecorded}""";

    /// <summary>
    /// The statement that applies <paramref name="change"/>, made by run <paramref name="runId"/>, for the caller to
    /// execute after the statement that records the run as Succeeded by <paramref name="owner"/> at
    /// <paramref name="now"/>, in the same transaction (see <see cref="StorageChanges"/>). It writes nothing unless that
    /// statement did.
    /// </summary>
    internal static HubSql.Statement RunOutcomeStatement(
        Guid runId, string owner, Guid workspaceId, Guid scenarioId, StorageChange change, DateTimeOffset now)
    {
        // The guard's @now is the outcome's time; the upsert binds it already, as the entry's UpdatedAt.
        (string, object?)[] guard = [("run", runId), ("owner", owner)];
        return change.ValueJson is null
            ? new(RunDeleteSql, [.. DeleteStatement(scenarioId, change.Key).Parameters, .. guard, ("now", now)])
            : new(RunUpsertSql, [.. UpsertStatement(workspaceId, scenarioId, change, now).Parameters, .. guard]);
    }

    private static HubSql.Statement UpsertStatement(Guid workspaceId, Guid scenarioId, StorageChange change, DateTimeOffset now) =>
        new(UpsertSql,
        [
            ("id", Guid.CreateVersion7(now)), ("workspace", workspaceId), ("scenario", scenarioId), ("key", change.Key),
            ("value", change.ValueJson), ("now", now), ("expires", change.ExpiresAt),
        ]);

    private static HubSql.Statement DeleteStatement(Guid scenarioId, string canonicalKey) =>
        new(DeleteSql, [("scenario", scenarioId), ("key", canonicalKey)]);

    /// <summary>Runs one statement on its own, in SQLite's writer turn; returns the rows it affected.</summary>
    private Task<int> ExecuteAsync(HubSql.Statement statement, CancellationToken cancellationToken) =>
        ExecuteAsync(statement, (command, token) => command.ExecuteNonQueryAsync(token), cancellationToken);

    /// <summary>Runs one statement on its own, in SQLite's writer turn, with <paramref name="execute"/>.</summary>
    private async Task<T> ExecuteAsync<T>(
        HubSql.Statement statement, Func<DbCommand, CancellationToken, Task<T>> execute, CancellationToken cancellationToken)
    {
        using var turn = await writeGate.EnterAsync(SqliteWriteGate.Writers.Storage, cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = statement.ToCommand(db.Database.GetDbConnection(), null);
        return await execute(command, cancellationToken);
    }

    /// <summary>
    /// A page of the scenario's live entries ordered by key; <paramref name="search"/> matches inside keys, as typed: "café"
    /// finds the key stored as <c>"caf\u00E9"</c> (<see cref="StorageKey.AsStored"/>). A page that
    /// starts past int.MaxValue entries (<see cref="Hosting.Paging.Offset"/> of a huge page number) is past the end: empty.
    /// </summary>
    /// <param name="valueChars">Read only this many characters of each value (a list's preview); all when null.</param>
    public async Task<StoragePage> ListAsync(
        Guid scenarioId, string? search, long skip, int take, CancellationToken cancellationToken, int? valueChars = null)
    {
        if (search?.Contains('\0') == true)
        {
            // No key holds a raw U+0000 (canonical JSON writes it \u0000), and PostgreSQL's text cannot even compare it.
            return new StoragePage([], 0);
        }
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.StorageEntries.Where(e => e.ScenarioId == scenarioId && (e.ExpiresAt == null || e.ExpiresAt > now));
        if (!string.IsNullOrEmpty(search))
        {
            if (StorageKey.AsStored(search) is not { } stored)
            {
                return new StoragePage([], 0);
            }
            query = query.Where(e => e.Key.Contains(stored));
        }

        var total = await query.CountAsync(cancellationToken);
        if (skip > int.MaxValue)
        {
            return new StoragePage([], total);
        }
        var page = query.OrderBy(e => e.Key).Skip((int)skip).Take(take);
        var items = await (valueChars is { } chars
                ? page.Select(e => new StoredItem(e.Key, e.Value.Substring(0, chars), e.UpdatedAt, e.ExpiresAt))
                : page.Select(e => new StoredItem(e.Key, e.Value, e.UpdatedAt, e.ExpiresAt)))
            .ToListAsync(cancellationToken);
        return new StoragePage(items, total);
    }
}

/// <summary>One entry as listed: key and value are JSON text.</summary>
internal sealed record StoredItem(string Key, string Value, DateTimeOffset UpdatedAt, DateTimeOffset? ExpiresAt);

internal sealed record StoragePage(IReadOnlyList<StoredItem> Items, int Total);
