using IntegrationHub.Identity;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Storage;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace IntegrationHub.Data;

/// <summary>
/// The hub's one database. Provider-specific subclasses exist only so each provider keeps its own migrations.
/// </summary>
internal abstract class HubDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Workspace> Workspaces => Set<Workspace>();
    public DbSet<User> Users => Set<User>();
    public DbSet<AccessToken> AccessTokens => Set<AccessToken>();
    public DbSet<CookieSession> CookieSessions => Set<CookieSession>();
    public DbSet<Scenario> Scenarios => Set<Scenario>();
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<StorageEntry> StorageEntries => Set<StorageEntry>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var sqlite = Database.IsSqlite();
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(HubDbContext).Assembly);
        if (sqlite)
        {
            RunConfiguration.ConfigureSqlite(modelBuilder.Entity<Run>());
        }
        else
        {
            RunConfiguration.ConfigurePostgres(modelBuilder.Entity<Run>());
        }
        HubFunctions.Map(modelBuilder, sqlite);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Timestamps are stored as UTC ticks: they sort and compare the same on SQLite and PostgreSQL,
        // and the queue's hand-written SQL can bind them without provider-specific date handling.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcTicksConverter>();
    }

    private sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        value => value.UtcTicks,
        ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
}

/// <summary>The SQLite flavour of <see cref="HubDbContext"/>; owns the migrations under Data/Migrations/Sqlite.</summary>
internal sealed class SqliteHubDbContext(DbContextOptions<SqliteHubDbContext> options) : HubDbContext(options);

/// <summary>The PostgreSQL flavour of <see cref="HubDbContext"/>; owns the migrations under Data/Migrations/Postgres.</summary>
internal sealed class PostgresHubDbContext(DbContextOptions<PostgresHubDbContext> options) : HubDbContext(options);
