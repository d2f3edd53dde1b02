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
        // The claim: a scenario's Running count and its oldest queued runs (RunStore).
        builder.HasIndex(r => new { r.ScenarioId, r.Status, r.QueuedAt, r.Id });
        // Every index is written by every enqueue, so the ones that serve a few runs hold only those: fewer index pages
        // to write per commit on the hot path (SQLite's WAL frames, PostgreSQL's WAL records).
        // The lease sweeper and renewals: Running runs only.
        builder.HasIndex(r => r.LeaseExpiresAt).HasFilter("\"Status\" = 'Running'");
        builder.HasIndex(r => new { r.WorkspaceId, r.QueuedAt });
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
}
