using System.Diagnostics;
using System.Diagnostics.Metrics;
using IntegrationHub.Telemetry;

namespace IntegrationHub.Data;

/// <summary>
/// SQLite has one writer at a time and makes the others wait by sleeping and retrying (busy_timeout, in steps of up
/// to 100 ms), which turns contention into tens of milliseconds of latency on the trigger path. On SQLite (always a
/// single node) the hub's frequent writers (the enqueue writer, the workers, script storage) take turns through this
/// gate instead, so a waiting writer starts the moment the previous one commits. On PostgreSQL it does nothing.
/// </summary>
/// <remarks>
/// The gate is where a busy SQLite hub queues, so it measures itself: how long each writer waited for its turn and
/// how long it held it (metrics <c>integrationhub.sqlite.write_gate.wait</c> and <c>.hold</c>, by <c>writer</c>).
/// Their sum over a second is the share of the single writer's time each kind of work takes.
/// </remarks>
internal sealed class SqliteWriteGate : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _sqlite;
    private readonly Histogram<double> _wait;
    private readonly Histogram<double> _hold;

    public SqliteWriteGate(HubConnectionString connection, IMeterFactory meters)
    {
        _sqlite = connection.Provider == DatabaseProvider.Sqlite;
        var meter = meters.Create(HubTelemetry.MeterName);
        _wait = meter.CreateHistogram<double>(
            "integrationhub.sqlite.write_gate.wait", "s", "How long a writer waited for its turn at SQLite's single write lock.");
        _hold = meter.CreateHistogram<double>(
            "integrationhub.sqlite.write_gate.hold", "s", "How long a writer held SQLite's single write lock.");
    }

    /// <summary>
    /// Waits for the turn to write; dispose the result to pass it on. Null (nothing to dispose) on PostgreSQL.
    /// <paramref name="writer"/> names the kind of work in the metrics: one of <see cref="Writers"/>.
    /// </summary>
    public async ValueTask<IDisposable?> EnterAsync(string writer, CancellationToken cancellationToken)
    {
        if (!_sqlite)
        {
            return null;
        }
        var asked = Stopwatch.GetTimestamp();
        await _gate.WaitAsync(cancellationToken);
        var entered = Stopwatch.GetTimestamp();
        _wait.Record(Stopwatch.GetElapsedTime(asked, entered).TotalSeconds, new KeyValuePair<string, object?>("writer", writer));
        return new Turn(this, writer, entered);
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>The writers that take turns, as the metrics name them.</summary>
    public static class Writers
    {
        public const string Enqueue = "enqueue";
        public const string Claim = "claim";
        public const string Outcomes = "outcomes";
        public const string LeaseRenewal = "lease_renewal";
        public const string LeaseSweep = "lease_sweep";
        public const string Release = "release";
        public const string Storage = "storage";
        public const string LiveLogs = "live_logs";
        public const string Housekeeping = "housekeeping";
    }

    private sealed class Turn(SqliteWriteGate owner, string writer, long entered) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner._hold.Record(Stopwatch.GetElapsedTime(entered).TotalSeconds, new KeyValuePair<string, object?>("writer", writer));
                owner._gate.Release();
            }
        }
    }
}
