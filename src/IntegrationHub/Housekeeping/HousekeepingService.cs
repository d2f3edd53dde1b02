using Microsoft.Extensions.Options;

namespace IntegrationHub.Housekeeping;

/// <summary>Sweeps at start and then every <see cref="HousekeepingOptions.Interval"/>.</summary>
internal sealed partial class HousekeepingService(
    Housekeeper housekeeper, IOptions<HousekeepingOptions> options, TimeProvider time, ILogger<HousekeepingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            do
            {
                try
                {
                    var swept = await housekeeper.SweepAsync(time.GetUtcNow(), stoppingToken);
                    if (swept.Runs > 0 || swept.StorageEntries > 0)
                    {
                        LogSwept(logger, swept.Runs, swept.StorageEntries);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Nothing is lost by waiting: the next sweep deletes what this one did not.
                    LogSweepFailed(logger, ex);
                }
                await Task.Delay(options.Value.Interval, time, stoppingToken);
            }
            while (!stoppingToken.IsCancellationRequested);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Runs} runs past their retention and {Entries} expired storage entries")]
    private static partial void LogSwept(ILogger logger, int runs, int entries);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deleting old runs or expired storage entries failed; trying again on the next sweep")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
