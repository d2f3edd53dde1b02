using IntegrationHub.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IntegrationHub.Data;

internal static class DatabaseInitializer
{
    /// <summary>Applies pending migrations before the hub takes requests. EF takes a lock, so several nodes may start at once.</summary>
    public static async Task MigrateHubDatabaseAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        if (!app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStart)
        {
            return;
        }

        await using var db = await app.Services.GetRequiredService<IDbContextFactory<HubDbContext>>().CreateDbContextAsync(cancellationToken);
        try
        {
            if (UnknownHistoryMessage(db.Database.GetMigrations().ToList(), [.. await db.Database.GetAppliedMigrationsAsync(cancellationToken)]) is { } unknown)
            {
                throw new StartupException(unknown);
            }
            await db.Database.MigrateAsync(cancellationToken);
        }
        catch (Exception ex) when (CannotConnect(ex))
        {
            throw new StartupException(CannotConnectMessage(app.Services.GetRequiredService<HubConnectionString>(), ex), ex);
        }

        if (db.Database.IsSqlite())
        {
            // WAL lets readers run beside the single writer; the setting is stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }

    /// <summary>
    /// Why the database's migrations are not ones this build continues, or null when they are. A database migrated by
    /// a newer build would be misread (and its newer data overwritten) by this one; one whose history this build does not
    /// know would have its tables created again over the old ones, which fails half way.
    /// </summary>
    internal static string? UnknownHistoryMessage(IReadOnlyList<string> known, IReadOnlyList<string> applied)
    {
        var unknown = applied.Except(known, StringComparer.Ordinal).ToList();
        if (unknown.Count == 0)
        {
            return null;
        }
        var named = string.Join(", ", unknown.Take(3)) + (unknown.Count > 3 ? $" and {unknown.Count - 3} more" : "");
        return known.All(applied.Contains)
            ? $"the database was upgraded by a newer IntegrationHub: it holds migrations this build does not know ({named}). Run "
                + "that version or a later one: this one would misread what the newer one stored."
            : $"the database's schema history is not one this build continues: it holds migrations this build does not know "
                + $"({named}) and lacks {known.Count(k => !applied.Contains(k))} of its own. It was made by another line of "
                + "IntegrationHub builds (the development builds before 2026-11-29 rebuilt their first migration), which this one "
                + "cannot upgrade: start with a new database (ConnectionStrings:Hub) and create the scenarios again.";
    }

    /// <summary>A database the hub cannot reach or open, for a reason its user fixes: not a fault in a migration.</summary>
    private static bool CannotConnect(Exception exception) =>
        DatabaseErrors.Classify(exception) == DatabaseTrouble.Unreachable
        || exception.GetBaseException() is SqliteException { SqliteErrorCode: SqliteReadOnly or SqliteNotADatabase }
            // Wrong user or password, no such database.
            or PostgresException { SqlState: "28P01" or "28000" or "3D000" }
            // Npgsql's own, before the server had a say: no password where the server asks for one, SSL Mode=Require
            // where the server has no SSL. The server's errors are PostgresExceptions, and a migration's faults others.
            or NpgsqlException and not PostgresException;

    private static string CannotConnectMessage(HubConnectionString connection, Exception exception)
    {
        var reason = exception.GetBaseException().Message.TrimEnd('.') + ".";
        if (connection.Provider == DatabaseProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(connection.Value).DataSource;
            return $"the SQLite database {file} (ConnectionStrings:Hub) cannot be opened or written: {reason} Check that the hub's "
                + $"user may write to {Path.GetDirectoryName(file)} (SQLite keeps its -wal and -shm files beside the database) and to the file "
                + "itself, or set ConnectionStrings:Hub to a file in a folder it may write.";
        }
        var server = new NpgsqlConnectionStringBuilder(connection.Value);
        return $"PostgreSQL at {server.Host}:{server.Port}, database {server.Database} (ConnectionStrings:Hub) cannot be reached: {reason} "
            + "Check that PostgreSQL runs and accepts connections there, and the connection string's Host, Port, Database, "
            + "Username, Password and SSL Mode.";
    }

    private const int SqliteReadOnly = 8;
    private const int SqliteNotADatabase = 26;
}
