using System.Linq.Expressions;
using IntegrationHub.Data;
using IntegrationHub.Hosting;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Runs;

internal static class RunQueries
{
    /// <summary>
    /// A history page counts the matching runs up to this many (or up to the end of the page, past it): counting them
    /// all read every run of a busy workspace for every page (0.7 s per page at a million runs on SQLite).
    /// </summary>
    public const int CountedUpTo = 10_000;

    /// <summary>
    /// The runs of <paramref name="workspaceId"/>, of <paramref name="scenarioId"/> and in <paramref name="status"/>
    /// when they are given. Queued and Running runs are looked up through the queue's own indexes (by the workspace's
    /// scenarios), which hold only those runs; one scenario's runs through indexes by scenario (<see cref="OfScenario"/>);
    /// otherwise the history's index by workspace, which holds every run ever queued, is read until enough match.
    /// </summary>
    public static IQueryable<Run> OfWorkspace(this HubDbContext db, Guid workspaceId, RunStatus? status = null, Guid? scenarioId = null)
    {
        if (status is RunStatus.Queued or RunStatus.Running)
        {
            // A run's workspace is its scenario's. Naming the scenarios (the one asked for among them) instead of the
            // workspace leaves the planner no index but the status's own (IX_Runs_Queued, IX_Runs_Running) and, on
            // SQLite, its index of every run by scenario, which InQueueIndex rules out.
            var scenarios = db.Scenarios.Where(s => s.WorkspaceId == workspaceId && (scenarioId == null || s.Id == scenarioId)).Select(s => s.Id);
            return InQueueIndex(db, status.Value).Where(r => scenarios.Contains(r.ScenarioId));
        }
        var runs = scenarioId is { } scenario
            ? OfScenario(db, workspaceId, scenario, status)
            : db.Runs.AsNoTracking().Where(r => r.WorkspaceId == workspaceId);
        return status is { } ended ? runs.InStatus(ended) : runs;
    }

    /// <summary>
    /// Where to read one scenario's runs; the caller names the scenario. SQLite: all of them, or its Succeeded ones
    /// (most of them), through its index of every run by scenario (IX_Runs_ByScenario), newest first: the workspace's
    /// index holds every scenario's runs, and reading it until a rarely run scenario had a page took 1.55 s at a
    /// million runs. Without statistics SQLite rates the two indexes alike, hence INDEXED BY. Its Failed and Cancelled
    /// runs, few of them, are found faster among the workspace's in their own indexes. PostgreSQL, with statistics,
    /// chooses per scenario: a rarely run one's ended runs through IX_Runs_Ended, a busy one's through the workspace's.
    /// </summary>
    private static IQueryable<Run> OfScenario(HubDbContext db, Guid workspaceId, Guid scenarioId, RunStatus? status)
    {
        if (db.Database.IsSqlite() && status is (null or RunStatus.Succeeded))
        {
            // The workspace is asked of the scenario's row, once (a run's workspace is its scenario's), so that counting
            // the runs reads the index alone: asked of each run, a page of a busy scenario read 10,000 rows (19 ms).
            return db.Runs.FromSqlRaw(SqliteRunsByScenario).AsNoTracking()
                .Where(r => r.ScenarioId == scenarioId && db.Scenarios.Any(s => s.Id == scenarioId && s.WorkspaceId == workspaceId));
        }
        var runs = db.Runs.AsNoTracking().Where(r => r.WorkspaceId == workspaceId && r.ScenarioId == scenarioId);
        if (db.Database.IsSqlite())
        {
            return runs;
        }
        // Every status named, as literals: the planner can then gather a rarely run scenario's runs from the partial
        // indexes that hold them (IX_Runs_Ended, IX_Runs_Queued, IX_Runs_Running), and still walk the workspace's index
        // newest first for a busy one, which has a page within its first few hundred entries. A status asked for is
        // a literal too (InStatus), which IX_Runs_Ended's filter is proved from.
        return status is not null ? runs
            : runs.Where(r => r.Status == EF.Constant(RunStatus.Succeeded) || r.Status == EF.Constant(RunStatus.Failed)
                || r.Status == EF.Constant(RunStatus.Cancelled) || r.Status == EF.Constant(RunStatus.Queued) || r.Status == EF.Constant(RunStatus.Running));
    }

    private const string SqliteRunsByScenario = """SELECT * FROM "Runs" INDEXED BY "IX_Runs_ByScenario" """;

    /// <summary>
    /// The Queued or Running runs, read through the queue's index of that status. SQLite is told so (INDEXED BY):
    /// without statistics it rates IX_Runs_ByScenario, which holds every run ever queued, as cheaper to read for a list
    /// of scenarios than IX_Runs_Queued, whose entries are wider.
    /// </summary>
    private static IQueryable<Run> InQueueIndex(HubDbContext db, RunStatus status) => db.Database.IsSqlite()
        ? db.Runs.FromSqlRaw(status == RunStatus.Queued ? SqliteQueuedRuns : SqliteRunningRuns).AsNoTracking()
        : db.Runs.AsNoTracking().InStatus(status);

    private const string SqliteQueuedRuns = """SELECT * FROM "Runs" INDEXED BY "IX_Runs_Queued" WHERE "Status" = 'Queued'""";
    private const string SqliteRunningRuns = """SELECT * FROM "Runs" INDEXED BY "IX_Runs_Running" WHERE "Status" = 'Running'""";

    /// <summary>
    /// The runs in <paramref name="status"/>. The status goes into the SQL as a literal rather than a parameter, so
    /// that the database can use the partial index of that status (for Failed, IX_Runs_WorkspaceId_QueuedAt_Failed)
    /// in every plan, PostgreSQL's generic plans included: a bound value could be any status, and a partial index
    /// serves only its own.
    /// </summary>
    public static IQueryable<Run> InStatus(this IQueryable<Run> runs, RunStatus status) =>
        runs.Where(r => r.Status == EF.Constant(status));

    /// <summary>
    /// One page of <paramref name="runs"/>, newest first, and how many there are: exactly, or, past
    /// <see cref="CountedUpTo"/> and the end of this page, a lower bound (<see cref="HistoryPage{T}.TotalIsExact"/>
    /// false), which still tells whether an older page follows.
    /// </summary>
    public static async Task<HistoryPage<T>> NewestFirstAsync<T>(
        this IQueryable<Run> runs, Expression<Func<Run, T>> selector, int page, int pageSize, CancellationToken cancellationToken)
    {
        var countUpTo = (int)Math.Min(int.MaxValue - 1, Math.Max(CountedUpTo, Paging.Offset(page, pageSize) + pageSize));
        var counted = await runs.Take(countUpTo + 1).CountAsync(cancellationToken);
        var items = await runs.OrderByDescending(r => r.QueuedAt).ThenByDescending(r => r.Id).Select(selector)
            .ToPageAsync(page, pageSize, cancellationToken);
        return new HistoryPage<T>(items, Math.Min(counted, countUpTo), counted <= countUpTo);
    }
}

/// <summary>A page of the run history; when <paramref name="TotalIsExact"/> is false there are more than <paramref name="Total"/> runs.</summary>
internal sealed record HistoryPage<T>(List<T> Items, int Total, bool TotalIsExact)
{
    /// <summary>Whether runs older than those of page <paramref name="page"/> follow.</summary>
    public bool HasOlderThan(int page, int pageSize) => !TotalIsExact || Paging.Offset(page, pageSize) + pageSize < Total;
}
