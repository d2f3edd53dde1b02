using System.Data.Common;
using IntegrationHub.Data;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace IntegrationHub.Runs;

/// <summary>
/// Plumbing for the queue's hand-written SQL, which bypasses EF on the hot paths. Values are bound the way EF stores
/// them: timestamps as UTC ticks, enums by name, Guids as upper-case TEXT on SQLite and uuid on PostgreSQL.
/// </summary>
internal static class RunSql
{
    /// <summary>The notification channel nodes LISTEN on; a NOTIFY on it means runs became claimable.</summary>
    public const string Channel = "hub_runs";

    public static async Task<DbConnection> OpenAsync(HubConnectionString connection, CancellationToken cancellationToken)
    {
        DbConnection db = connection.Provider switch
        {
            DatabaseProvider.Sqlite => new SqliteConnection(connection.Value),
            DatabaseProvider.Postgres => new NpgsqlConnection(connection.Value),
            _ => throw new InvalidOperationException($"Unknown database provider {connection.Provider}."),
        };
        try
        {
            await db.OpenAsync(cancellationToken);
            if (db is SqliteConnection sqlite)
            {
                SqliteConnectionSettings.Apply(sqlite, connection.SqliteSynchronous);
            }
            return db;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // Every statement is a constant of this feature; values always travel as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        return command;
    }

    public static DbParameter Add(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = Convert(command is SqliteCommand, value);
        command.Parameters.Add(parameter);
        return parameter;
    }

    public static void Set(this DbParameter parameter, bool sqlite, object? value) => parameter.Value = Convert(sqlite, value);

    private static object Convert(bool sqlite, object? value) => value switch
    {
        null => DBNull.Value,
        Guid g when sqlite => g.ToString().ToUpperInvariant(),
        DateTimeOffset d => d.UtcTicks,
        RunStatus s => s.ToString(),
        TriggerKind t => t.ToString(),
        _ => value,
    };

    public static Guid ReadGuid(DbDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(Guid) ? reader.GetGuid(ordinal) : Guid.Parse(reader.GetString(ordinal));
}
