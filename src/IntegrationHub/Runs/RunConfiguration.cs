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
        // The lease sweeper: Running runs whose lease expired.
        builder.HasIndex(r => new { r.Status, r.LeaseExpiresAt });
        builder.HasIndex(r => new { r.WorkspaceId, r.QueuedAt });
        builder.HasIndex(r => new { r.ScenarioId, r.ScheduledFor }).IsUnique();
        builder.HasIndex(r => new { r.ScenarioId, r.IdempotencyKey });
        builder.HasOne<Scenario>().WithMany().HasForeignKey(r => r.ScenarioId).OnDelete(DeleteBehavior.Cascade);
    }
}
