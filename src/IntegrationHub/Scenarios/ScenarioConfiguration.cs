using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Scenarios;

internal sealed class ScenarioConfiguration : IEntityTypeConfiguration<Scenario>
{
    public void Configure(EntityTypeBuilder<Scenario> builder)
    {
        builder.Property(s => s.Name).HasMaxLength(200);
        builder.Property(s => s.Description).HasMaxLength(4000);
        builder.Property(s => s.Cron).HasMaxLength(120);
        builder.Property(s => s.TimeZone).HasMaxLength(100);
        // Connector settings change shape per connector; a JSON column keeps adding a connector free of migrations.
        builder.Property(s => s.Source).HasConversion(JsonColumn.Converter(new SourceSettings()), JsonColumn.Comparer<SourceSettings>());
        builder.Property(s => s.Target).HasConversion(JsonColumn.Converter(new TargetSettings()), JsonColumn.Comparer<TargetSettings>());
        builder.Property(s => s.Version).IsConcurrencyToken();
        // The run queue's bookkeeping in the scenario's row; EF only ever inserts it (as 0).
        builder.Property<int>(QueuedRunsBound.Column);
        builder.HasIndex(s => s.WorkspaceId);
        builder.HasIndex(s => s.NextOccurrenceAt);
        builder.HasOne<Workspace>().WithMany().HasForeignKey(s => s.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}
