using IntegrationHub.Hosting;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Housekeeping;

/// <summary>Sweeps once the node has started and then every <see cref="HousekeepingOptions.Interval"/>.</summary>
internal sealed partial class HousekeepingService(
    Housekeeper housekeeper,
    IOptions<HousekeepingOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<HousekeepingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not before the node has started (HostStart): a node that fails to start deletes nothing.
        if (!await lifetime.WaitForStartAsync(stoppingToken))
        {
            return;
        }
        // A database outage fails every sweep the same way: its stack trace once, then a line now and then.
        var failures = new FailureStreak(
            e => LogSweepFailed(logger, e), (count, reason) => LogSweepFailedAgain(logger, count, reason), count => LogSweeping(logger, count));
        try
        {
            do
            {
                try
                {
                    var swept = await housekeeper.SweepAsync(time.GetUtcNow(), stoppingToken);
                    failures.Succeed();
                    if (swept.Runs > 0 || swept.StorageEntries > 0 || swept.Sessions > 0)
                    {
                        LogSwept(logger, swept.Runs, swept.StorageEntries, swept.Sessions);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Nothing is lost by waiting: the next sweep deletes what this one did not.
                    failures.Fail(ex);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Runs} runs past their retention, {Entries} expired storage entries and {Sessions} expired browser sessions")]
    private static partial void LogSwept(ILogger logger, int runs, int entries, int sessions);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deleting old runs or expired storage entries failed; trying again on the next sweep")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deleting old runs or expired storage entries failed {Failures} times in a row: {Reason}")]
    private static partial void LogSweepFailedAgain(ILogger logger, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleting old runs and expired storage entries again, after {Failures} failures")]
    private static partial void LogSweeping(ILogger logger, int failures);
}
