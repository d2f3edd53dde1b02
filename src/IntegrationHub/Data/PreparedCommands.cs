using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace IntegrationHub.Data;

/// <summary>
/// A long-lived connection whose commands stay prepared, one per SQL text, for a writer that runs the same few
/// statements transaction after transaction. SQLite parses and plans a statement once per command object: a new
/// command per transaction cost the enqueue writer ~150 µs per group (its queue-bound read, its insert, its bound
/// update), inside the single write lock the trigger path waits for.
/// </summary>
/// <remarks>Not thread-safe: one writer at a time, as the connection itself.</remarks>
internal sealed class PreparedCommands(DbConnection connection) : IAsyncDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);
    private readonly bool _sqlite = connection is SqliteConnection;

    public DbConnection Connection => connection;

    /// <summary>The command for <paramref name="sql"/> within <paramref name="transaction"/>, without parameters. Owned here: do not dispose it.</summary>
    public DbCommand For(DbTransaction? transaction, string sql)
    {
        var command = Prepared(transaction, sql);
        command.Parameters.Clear();
        return command;
    }

    /// <summary>
    /// The command for <paramref name="statement"/> within <paramref name="transaction"/>, with its values bound. The
    /// parameters of the command's last execution are reused when they have the same names, as they do when one
    /// statement runs row after row. Owned here: do not dispose it.
    /// </summary>
    internal DbCommand For(DbTransaction? transaction, HubSql.Statement statement)
    {
        var command = Prepared(transaction, statement.Sql);
        var values = statement.Parameters;
        var parameters = command.Parameters;
        if (!SameNames(parameters, values))
        {
            parameters.Clear();
            foreach (var (name, value) in values)
            {
                command.Add(name, value);
            }
            return command;
        }
        for (var i = 0; i < values.Count; i++)
        {
            parameters[i].Set(_sqlite, values[i].Value);
        }
        return command;
    }

    /// <summary>
    /// Executes <paramref name="statements"/> in order; returns each one's affected row count. SQLite: with the kept
    /// commands. PostgreSQL: as one batch (one round trip), see <see cref="HubSql.ExecuteAsync"/>.
    /// </summary>
    public async Task<int[]> ExecuteAsync(DbTransaction transaction, IReadOnlyList<HubSql.Statement> statements, CancellationToken cancellationToken)
    {
        if (!_sqlite)
        {
            return await HubSql.ExecuteAsync(connection, transaction, statements, cancellationToken);
        }
        var affected = new int[statements.Count];
        for (var i = 0; i < statements.Count; i++)
        {
            affected[i] = await For(transaction, statements[i]).ExecuteNonQueryAsync(cancellationToken);
        }
        return affected;
    }

    /// <summary>
    /// Executes <paramref name="statements"/> in order in a transaction of their own and commits it; returns each one's
    /// affected row count. PostgreSQL: in one round trip (see <see cref="HubSql.ExecuteInTransactionAsync"/>).
    /// </summary>
    public async Task<int[]> ExecuteInTransactionAsync(IReadOnlyList<HubSql.Statement> statements, CancellationToken cancellationToken)
    {
        if (connection is NpgsqlConnection npgsql)
        {
            return await HubSql.ExecuteInTransactionAsync(npgsql, statements, cancellationToken);
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var affected = await ExecuteAsync(transaction, statements, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return affected;
    }

    private DbCommand Prepared(DbTransaction? transaction, string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = HubSql.Command(connection, transaction, sql);
            _commands.Add(sql, command);
        }
        command.Transaction = transaction;
        return command;
    }

    private bool SameNames(DbParameterCollection parameters, IReadOnlyList<(string Name, object? Value)> values)
    {
        if (parameters.Count != values.Count)
        {
            return false;
        }
        for (var i = 0; i < values.Count; i++)
        {
            if (parameters[i].ParameterName != HubSql.ParameterName(connection, values[i].Name))
            {
                return false;
            }
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync();
        }
        await connection.DisposeAsync();
    }
}
