using System.Data.Common;

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

    public DbConnection Connection => connection;

    /// <summary>The command for <paramref name="sql"/> within <paramref name="transaction"/>, without parameters. Owned here: do not dispose it.</summary>
    public DbCommand For(DbTransaction? transaction, string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = HubSql.Command(connection, transaction, sql);
            _commands.Add(sql, command);
        }
        command.Transaction = transaction;
        command.Parameters.Clear();
        return command;
    }

    /// <summary>
    /// Executes <paramref name="statements"/> in order; returns each one's affected row count. SQLite: with the kept
    /// commands. PostgreSQL: as one batch (one round trip), see <see cref="HubSql.ExecuteAsync"/>.
    /// </summary>
    public async Task<int[]> ExecuteAsync(DbTransaction transaction, IReadOnlyList<HubSql.Statement> statements, CancellationToken cancellationToken)
    {
        if (connection is Npgsql.NpgsqlConnection)
        {
            return await HubSql.ExecuteAsync(connection, transaction, statements, cancellationToken);
        }
        var affected = new int[statements.Count];
        for (var i = 0; i < statements.Count; i++)
        {
            var command = For(transaction, statements[i].Sql);
            foreach (var (name, value) in statements[i].Parameters)
            {
                command.Add(name, value);
            }
            affected[i] = await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return affected;
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
