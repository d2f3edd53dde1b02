using IntegrationHub.Scenarios;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Storage;

internal sealed class StorageEntryConfiguration : IEntityTypeConfiguration<StorageEntry>
{
    public void Configure(EntityTypeBuilder<StorageEntry> builder)
    {
        builder.HasIndex(e => new { e.ScenarioId, e.Key }).IsUnique();
        builder.HasIndex(e => e.ExpiresAt);
        builder.HasOne<Scenario>().WithMany().HasForeignKey(e => e.ScenarioId).OnDelete(DeleteBehavior.Cascade);
    }
}
