using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Data;

internal static class DatabaseInitializer
{
    /// <summary>Applies pending migrations before the hub takes requests. EF takes a lock, so several nodes may start at once.</summary>
    public static async Task MigrateHubDatabaseAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        if (!app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStart)
        {
            return;
        }

        await using var db = await app.Services.GetRequiredService<IDbContextFactory<HubDbContext>>().CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);

        if (db.Database.IsSqlite())
        {
            // WAL lets readers run beside the single writer; the setting is stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}
