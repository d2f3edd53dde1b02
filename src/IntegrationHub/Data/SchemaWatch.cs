using IntegrationHub.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Data;

/// <summary>
/// Stops this node when a newer build upgrades the database under it (a rolling upgrade, a node left on the old version):
/// it would go on reading and writing a schema it does not know, and could misread what the newer nodes store. Its next
/// start is refused with the same words (<see cref="DatabaseInitializer"/>) until it runs the newer version.
/// </summary>
internal sealed partial class SchemaWatch(
    IDbContextFactory<HubDbContext> dbFactory,
    IOptions<DatabaseOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<SchemaWatch> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await lifetime.WaitForStartAsync(stoppingToken))
        {
            return;
        }
        List<string> known;
        await using (var db = await dbFactory.CreateDbContextAsync(stoppingToken))
        {
            known = [.. db.Database.GetMigrations()];
        }
        using var timer = new PeriodicTimer(options.Value.SchemaCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                if (DatabaseInitializer.UnknownHistoryMessage(known, [.. await db.Database.GetAppliedMigrationsAsync(stoppingToken)]) is { } message)
                {
                    LogUpgradedUnderneath(logger, message);
                    lifetime.StopApplication();
                    return;
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && DatabaseErrors.Classify(ex) != DatabaseTrouble.None)
            {
                // The database is away for a while: the health check and the run engine say so; the next tick looks again.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "This node stops: {Message}")]
    private static partial void LogUpgradedUnderneath(ILogger logger, string message);
}
