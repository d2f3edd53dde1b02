using IntegrationHub.Data;

namespace IntegrationHub.Runs;

/// <summary>
/// An upper bound of a scenario's queued runs, kept in its row (the <c>QueuedRunsBound</c> column, a shadow property:
/// it is the queue's bookkeeping, not a setting). While the bound plus the arriving runs stays within MaxQueuedRuns the
/// enqueue admits them without counting the scenario's backlog, which could be long.
/// </summary>
/// <remarks>
/// The bound stays an upper bound because every way into the queue raises it in the transaction that queues the runs:
/// the enqueue by what it inserts; retries, expired and released leases by the runs they put back (<see cref="Raise"/>).
/// Claims and cancels lower the real count and leave the bound alone. Only the enqueue lowers it, to a count taken
/// while it holds the scenario's row lock (SQLite: the write lock), which every raise must wait for.
/// </remarks>
internal static class QueuedRunsBound
{
    public const string Column = "QueuedRunsBound";

    /// <summary>
    /// Raises the bounds of the scenarios of <paramref name="requeued"/> (one entry per run put back in the queue), one
    /// statement per scenario in the order PostgreSQL sorts uuids, the order in which the enqueue locks the rows, so
    /// the two cannot deadlock.
    /// </summary>
    public static IEnumerable<HubSql.Statement> Raise(IEnumerable<Guid> requeued) =>
        requeued
            .GroupBy(id => id)
            .InLockOrder(g => g.Key)
            .Select(g => new HubSql.Statement(
                """UPDATE "Scenarios" SET "QueuedRunsBound" = "QueuedRunsBound" + @by WHERE "Id" = @id""", [("by", g.Count()), ("id", g.Key)]));

    /// <summary>
    /// <paramref name="items"/> in the order PostgreSQL sorts the uuids <paramref name="id"/> gives (by their text), which
    /// is what <c>ORDER BY "Id"</c> gives in SQL: the one order in which every writer locks several rows of a table
    /// (scenarios for their bounds, runs for their outcomes), so that no two writers deadlock.
    /// </summary>
    public static IOrderedEnumerable<T> InLockOrder<T>(this IEnumerable<T> items, Func<T, Guid> id) =>
        items.OrderBy(item => id(item).ToString(), StringComparer.Ordinal);

    /// <summary>
    /// The bounds an enqueue stores (holding the rows), given what it read and the counts once the admitted runs were
    /// added to them.
    /// </summary>
    public static List<HubSql.Statement> Updates(Dictionary<Guid, QueuedCount> read, Dictionary<Guid, int> admitted) =>
        [.. read
            .Select(r => (ScenarioId: r.Key, Bound: r.Value.NewBound(admitted[r.Key])))
            .Where(r => r.Bound is not null)
            .Select(r => new HubSql.Statement(
                """UPDATE "Scenarios" SET "QueuedRunsBound" = @bound WHERE "Id" = @id""", [("bound", r.Bound), ("id", r.ScenarioId)]))];
}

/// <summary>
/// What a group of triggers brings to one scenario: how many runs, and the smallest and largest MaxQueuedRuns among
/// them (a scenario's settings may change between two triggers of one group).
/// </summary>
internal sealed record ArrivalLimits(Guid ScenarioId, int Arriving, int Least, int Most)
{
    public static ArrivalLimits[] Of(IReadOnlyList<NewRun> batch) =>
        [.. batch.GroupBy(r => r.ScenarioId).Select(g => new ArrivalLimits(g.Key, g.Count(), g.Min(r => r.MaxQueuedRuns), g.Max(r => r.MaxQueuedRuns)))];
}

/// <summary>
/// A scenario's queued runs as the enqueue read them: the stored bound, and the count where the bound could not vouch
/// for the arriving runs, counted up to <paramref name="CountedUpTo"/> (the largest limit among them).
/// </summary>
internal readonly record struct QueuedCount(int Bound, int? Counted, int CountedUpTo)
{
    /// <summary>The number of queued runs the admission starts from: at least the real one.</summary>
    public int Known => Counted ?? Bound;

    /// <summary>
    /// The bound to store once <paramref name="afterAdmission"/> includes the admitted runs, or null to keep the stored
    /// one: unchanged, or a count that stopped at its limit, which says only that the queue was full.
    /// </summary>
    public int? NewBound(int afterAdmission) =>
        Counted == CountedUpTo || afterAdmission == Bound ? null : afterAdmission;
}
