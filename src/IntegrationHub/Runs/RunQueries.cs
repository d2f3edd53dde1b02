using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Runs;

internal static class RunQueries
{
    /// <summary>
    /// The runs in <paramref name="status"/>. The status goes into the SQL as a literal rather than a parameter, so
    /// that the database can use that status's partial index (IX_Runs_WorkspaceId_QueuedAt_Failed, IX_Runs_Queued, IX_Runs_Running): a
    /// bound value could be any status, and a partial index serves only its own.
    /// </summary>
    public static IQueryable<Run> InStatus(this IQueryable<Run> runs, RunStatus status) =>
        runs.Where(r => r.Status == EF.Constant(status));
}
