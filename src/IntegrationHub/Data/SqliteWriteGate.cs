namespace IntegrationHub.Data;

/// <summary>
/// SQLite has one writer at a time and makes the others wait by sleeping and retrying (busy_timeout, in steps of up
/// to 100 ms), which turns contention into tens of milliseconds of latency on the trigger path. On SQLite (always a
/// single node) the hub's frequent writers (the enqueue writer, the workers, script storage) take turns through this
/// gate instead, so a waiting writer starts the moment the previous one commits. On PostgreSQL it does nothing.
/// </summary>
public sealed class SqliteWriteGate(HubConnectionString connection) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Waits for the turn to write; dispose the result to pass it on. Null (nothing to dispose) on PostgreSQL.</summary>
    public async ValueTask<IDisposable?> EnterAsync(CancellationToken cancellationToken)
    {
        if (connection.Provider != DatabaseProvider.Sqlite)
        {
            return null;
        }
        await _gate.WaitAsync(cancellationToken);
        return new Turn(_gate);
    }

    public void Dispose() => _gate.Dispose();

    private sealed class Turn(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
