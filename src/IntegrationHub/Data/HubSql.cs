using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace IntegrationHub.Data;

/// <summary>
/// Plumbing for hand-written SQL on the hot paths (the run queue, run outcomes and the storage changes committed
/// with them), which bypass EF. Values are bound the way EF stores them: timestamps as UTC ticks, enums by name,
/// Guids as upper-case TEXT on SQLite and uuid on PostgreSQL.
/// </summary>
internal static class HubSql
{
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

    /// <summary>A statement with its parameter values, to execute on its own (SQLite) or in a batch (PostgreSQL).</summary>
    public sealed record Statement(string Sql, IReadOnlyList<(string Name, object? Value)> Parameters)
    {
        public DbCommand ToCommand(DbConnection connection, DbTransaction? transaction)
        {
            var command = Command(connection, transaction, Sql);
            foreach (var (name, value) in Parameters)
            {
                command.Add(name, value);
            }
            return command;
        }

        public NpgsqlBatchCommand ToBatchCommand()
        {
            var command = new NpgsqlBatchCommand(Sql);
            foreach (var (name, value) in Parameters)
            {
                command.Parameters.Add(new NpgsqlParameter(name, Convert(sqlite: false, value)));
            }
            return command;
        }
    }

    /// <summary>
    /// Executes <paramref name="statements"/> in order within <paramref name="transaction"/> and returns each one's
    /// affected row count: on PostgreSQL as one batch (one round trip), on SQLite (in process) one by one.
    /// </summary>
    public static async Task<int[]> ExecuteAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<Statement> statements, CancellationToken cancellationToken)
    {
        var affected = new int[statements.Count];
        if (statements.Count == 0)
        {
            return affected;
        }
        if (connection is NpgsqlConnection npgsql)
        {
            await using var batch = new NpgsqlBatch(npgsql, (NpgsqlTransaction)transaction);
            foreach (var statement in statements)
            {
                batch.BatchCommands.Add(statement.ToBatchCommand());
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
            for (var i = 0; i < statements.Count; i++)
            {
                affected[i] = batch.BatchCommands[i].RecordsAffected;
            }
            return affected;
        }
        for (var i = 0; i < statements.Count; i++)
        {
            await using var command = statements[i].ToCommand(connection, transaction);
            affected[i] = await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return affected;
    }

    /// <summary>
    /// Executes <paramref name="statements"/> in one transaction on PostgreSQL and commits it, in one round trip:
    /// BEGIN, the statements and COMMIT travel as one batch (plain statements rather than an NpgsqlTransaction, whose
    /// commit would be a round trip of its own). Returns each statement's affected row count.
    /// </summary>
    public static async Task<int[]> ExecuteInTransactionAsync(
        NpgsqlConnection connection, IReadOnlyList<Statement> statements, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(statement.ToBatchCommand());
        }
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            await RollBackAsync(connection);
            throw;
        }
        return [.. statements.Select((_, i) => batch.BatchCommands[i + 1].RecordsAffected)];
    }

    /// <summary>Ends a transaction driven by plain BEGIN/COMMIT statements after a failure.</summary>
    public static async Task RollBackAsync(NpgsqlConnection connection)
    {
        // The caller drops this connection; the pool would roll back too, but say it plainly.
        if (connection.FullState != System.Data.ConnectionState.Open)
        {
            return;
        }
        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // The connection is broken as well; the original error is the one to report.
        }
    }

    public static DbParameter Add(this DbCommand command, string name, object? value)
    {
        var sqlite = command is SqliteCommand;
        var parameter = command.CreateParameter();
        parameter.ParameterName = sqlite ? SqliteParameterName(name) : name;
        parameter.Value = Convert(sqlite, value);
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>
    /// <paramref name="name"/> as the SQL writes it (<c>@name</c>). Microsoft.Data.Sqlite binds a parameter by looking
    /// its name up as given and, failing that, with each prefix SQLite allows, building the prefixed name and its UTF-8
    /// copy at every execution: about a tenth of the trigger path's allocations. The name with its prefix is found at once.
    /// </summary>
    public static string SqliteParameterName(string name) => SqliteNames.GetOrAdd(name, static n => "@" + n);

    /// <summary>The name a parameter called <paramref name="name"/> gets on <paramref name="connection"/>'s commands.</summary>
    public static string ParameterName(DbConnection connection, string name) => connection is SqliteConnection ? SqliteParameterName(name) : name;

    private static readonly ConcurrentDictionary<string, string> SqliteNames = new(StringComparer.Ordinal);

    public static void Set(this DbParameter parameter, bool sqlite, object? value) => parameter.Value = Convert(sqlite, value);

    private static object Convert(bool sqlite, object? value) => value switch
    {
        null => DBNull.Value,
        Guid g when sqlite => UpperCase(g),
        DateTimeOffset d => d.UtcTicks,
        Enum e => e.ToString(),
        _ => value,
    };

    /// <summary>A Guid as EF stores it on SQLite (upper-case "D" format), written once instead of formatted and then upper-cased.</summary>
    private static string UpperCase(Guid value) => string.Create(36, value, static (chars, g) =>
    {
        g.TryFormat(chars, out _);
        Ascii.ToUpperInPlace(chars, out _);
    });

    /// <summary>A timestamp stored as UTC ticks.</summary>
    public static DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => new(reader.GetInt64(ordinal), TimeSpan.Zero);

    public static Guid ReadGuid(DbDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(Guid) ? reader.GetGuid(ordinal) : Guid.Parse(reader.GetString(ordinal));
}
