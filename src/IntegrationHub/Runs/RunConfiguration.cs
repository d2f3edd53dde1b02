using IntegrationHub.Scenarios;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Runs;

internal sealed class RunConfiguration : IEntityTypeConfiguration<Run>
{
    public void Configure(EntityTypeBuilder<Run> builder)
    {
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Trigger).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.IdempotencyKey).HasMaxLength(200);
        builder.Property(r => r.LeaseOwner).HasMaxLength(200);
        // Every index is written by every enqueue, and on PostgreSQL by every change of a run's status too (a new row
        // version, never HOT, as Status is indexed), so the indexes of the queue hold only the runs they serve: a run
        // enters the Queued index when it is queued and the Running one when it is claimed, and leaves both when it
        // ends. That is fewer index entries to write per run, and small indexes for the claim to walk.
        // The claim: each scenario's oldest queued runs (RunStore).
        builder.HasIndex(r => new { r.ScenarioId, r.QueuedAt, r.Id }, "IX_Runs_Queued").HasFilter("\"Status\" = 'Queued'");
        // The claim's count of a scenario's Running runs, the lease sweeper and renewals. LeaseExpiresAt is left out so
        // that a renewal, which changes only the lease, is a HOT update on PostgreSQL.
        builder.HasIndex(r => r.ScenarioId, "IX_Runs_Running").HasFilter("\"Status\" = 'Running'");
        // The run history, newest first, of a workspace (and housekeeping's oldest first).
        builder.HasIndex(r => new { r.WorkspaceId, r.QueuedAt });
        // The failed and the cancelled runs of a workspace, few among many: without these, the history's filters for
        // them read every run of the workspace (0.12 s per page at 113,000 runs, 1.4 s at a million, on SQLite). Only
        // runs that fail or are cancelled write to them. SQLite, without statistics, rates each as costly as the index
        // above and takes the one created last: their names sort after that index's, so migrations create them later
        // (RunQueriesTests checks the plans).
        builder.HasIndex(r => new { r.WorkspaceId, r.QueuedAt }, "IX_Runs_WorkspaceId_QueuedAt_Failed").HasFilter("\"Status\" = 'Failed'");
        builder.HasIndex(r => new { r.WorkspaceId, r.QueuedAt }, "IX_Runs_WorkspaceId_QueuedAt_Cancelled").HasFilter("\"Status\" = 'Cancelled'");
        // One run per schedule occurrence: the enqueue's ON CONFLICT DO NOTHING relies on this.
        builder.HasIndex(r => new { r.ScenarioId, r.ScheduledFor }).IsUnique().HasFilter("\"ScheduledFor\" IS NOT NULL");
        builder.HasIndex(r => new { r.ScenarioId, r.IdempotencyKey }).HasFilter("\"IdempotencyKey\" IS NOT NULL");
        builder.HasOne<Scenario>().WithMany().HasForeignKey(r => r.ScenarioId).OnDelete(DeleteBehavior.Cascade);
        // PostgreSQL: a queue table changes fast. Vacuum and analyze it after 1 % of its rows changed instead of 20 %,
        // so claimed runs' dead index entries and the planner's statistics keep up with it.
        builder.HasStorageParameter("autovacuum_vacuum_scale_factor", 0.01)
            .HasStorageParameter("autovacuum_analyze_scale_factor", 0.01)
            .HasStorageParameter("autovacuum_vacuum_cost_delay", 0);
    }

    /// <summary>SQLite only: an index of every run by scenario, newest first.</summary>
    public static void ConfigureSqlite(EntityTypeBuilder<Run> builder)
    {
        // SQLite finds a deleted scenario's runs (the cascade, and Housekeeper.DeleteRunsOfScenarioAsync) through
        // an index on the foreign key or not at all: without one, deleting a scenario read every run while holding
        // the one write lock (1.4 s at a million runs, however few were its own), and every trigger waited. The
        // history of one scenario reads it too, newest first (RunQueries). It is written once per run: SQLite
        // leaves an index alone when an update does not change its columns. Not on PostgreSQL, where every status
        // change would write it too (a new row version), and a delete does not hold up other writers. Without
        // statistics SQLite rates it as good as the queue's indexes, which also lead with ScenarioId, and takes
        // whichever was created last: its name sorts before theirs, so migrations create it first, and the
        // statements it would still draw name their index (INDEXED BY; RunQueriesTests checks the plans).
        builder.HasIndex(r => new { r.ScenarioId, r.QueuedAt }, "IX_Runs_ByScenario");
    }

    /// <summary>PostgreSQL only: an index of each scenario's ended runs, newest first.</summary>
    public static void ConfigurePostgres(EntityTypeBuilder<Run> builder)
    {
        // One scenario's history (RunQueries.OfScenario) reads its ended runs here, beside its queued and running ones
        // in the queue's indexes: without it, the history of a rarely run scenario read the workspace's runs until it
        // had a page (0.7-1.4 s at a million runs). Only a run's final row version enters it, one entry per run; an
        // index of every run by scenario would take an entry at every status change (a new row version each), which
        // cost the drain about half of what the queue's small indexes had won. SQLite has IX_Runs_ByScenario instead,
        // where a status change writes no index entry for columns it does not change.
        builder.HasIndex(r => new { r.ScenarioId, r.QueuedAt }, "IX_Runs_Ended")
            .HasFilter("\"Status\" IN ('Succeeded', 'Failed', 'Cancelled')");
    }
}
