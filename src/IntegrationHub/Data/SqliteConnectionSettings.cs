using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IntegrationHub.Data;

/// <summary>
/// Per-connection SQLite settings and functions (they are not stored in the file), applied to EF's connections as they open and
/// to the queue's own connections through <see cref="Apply"/>.
/// </summary>
internal sealed class SqliteConnectionSettings(SqliteSynchronous synchronous) : DbConnectionInterceptor
{
    public static void Apply(SqliteConnection connection, SqliteSynchronous synchronous)
    {
        using var pragma = connection.CreateCommand();
        pragma.CommandText = synchronous == SqliteSynchronous.Full
            ? "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            : "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
        pragma.ExecuteNonQuery();
        connection.CreateFunction(HubFunctions.SqliteLower, (string? value) => value?.ToLowerInvariant(), isDeterministic: true);
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (connection is SqliteConnection sqlite)
        {
            Apply(sqlite, synchronous);
        }
    }

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ConnectionOpened(connection, eventData);
        return Task.CompletedTask;
    }
}
