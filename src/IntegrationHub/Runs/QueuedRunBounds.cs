using System.Collections.Concurrent;

namespace IntegrationHub.Runs;

/// <summary>
/// SQLite only (always one node): an upper bound of each scenario's queued runs, so the enqueue writer need not count
/// a scenario's whole backlog for every group it commits. New runs enter only through the writer, which raises the
/// bound by what it inserts; claims and cancels lower the real count, which keeps the bound an upper bound. Runs the
/// workers put back in the queue (retries, expired or released leases) would raise the real count past the bound,
/// so those paths forget it, and the writer counts again. Every writer of the runs table holds the
/// <see cref="Data.SqliteWriteGate"/> while it changes the bounds, so a bound never misses a change.
/// </summary>
public sealed class QueuedRunBounds
{
    private readonly ConcurrentDictionary<Guid, int> _bounds = new();

    public bool TryGet(Guid scenarioId, out int bound) => _bounds.TryGetValue(scenarioId, out bound);

    public void Set(Guid scenarioId, int bound) => _bounds[scenarioId] = bound;

    public void Forget(Guid scenarioId) => _bounds.TryRemove(scenarioId, out _);

    public void ForgetAll() => _bounds.Clear();
}
