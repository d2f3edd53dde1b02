using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Runs;

internal static class RunQueries
{
    /// <summary>
    /// The runs in <paramref name="status"/>. The status goes into the SQL as a literal rather than a parameter, so
    /// that the database can use the partial index of that status (for Failed, IX_Runs_WorkspaceId_QueuedAt_Failed)
    /// in every plan, PostgreSQL's generic plans included: a bound value could be any status, and a partial index
    /// serves only its own.
    /// </summary>
    public static IQueryable<Run> InStatus(this IQueryable<Run> runs, RunStatus status) =>
        runs.Where(r => r.Status == EF.Constant(status));
}
