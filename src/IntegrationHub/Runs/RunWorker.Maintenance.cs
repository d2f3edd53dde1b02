using IntegrationHub.Hosting;

namespace IntegrationHub.Runs;

// What runs beside the claims while runs execute: lease renewals (which also bring the cancellations this node did not
// hear of) with the sweep of expired leases, and live logs.
internal sealed partial class RunWorker
{
    private async Task MaintainLeasesAsync(CancellationToken cancellationToken)
    {
        // Renew every third of the lease: two renewals may fail (a slow database) before another node takes a run over.
        var period = _options.LeaseDuration / 3;
        var failures = new FailureStreak(
            e => LogLeaseMaintenanceFailed(_logger, e), (count, reason) => LogLeaseMaintenanceFailedAgain(_logger, count, reason), count => LogLeaseMaintenanceWorks(_logger, count));
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var now = _time.GetUtcNow();
                // The renewal answers for these runs only. A run that joins them meanwhile is missing from its answer
                // but ours all the same; its claim may have read the clock before this round did, while its scenario
                // loaded, so its claim time cannot tell it apart.
                var renewing = _inFlight.ToArray();
                if (renewing.Length > 0)
                {
                    var renewal = await _store.RenewAsync(NodeId, [.. renewing.Select(r => r.Key)], now, cancellationToken);
                    foreach (var runId in renewal.CancelRequested)
                    {
                        Cancel(runId);
                    }
                    foreach (var (runId, inFlight) in renewing)
                    {
                        if (renewal.Held.Contains(runId))
                        {
                            // As the renewal set it; an outcome that fails to record is tried again until then.
                            inFlight.LeaseExpiresAt = now + _options.LeaseDuration;
                        }
                        else
                        {
                            await CancelUnlessEndedAsync(inFlight.Lease);
                        }
                    }
                }

                var swept = await _store.SweepExpiredLeasesAsync(now, cancellationToken);
                failures.Succeed();
                if (swept.Count > 0)
                {
                    LogSwept(_logger, swept.Count, string.Join(", ", swept.Nodes));
                    _signals.WorkAvailable();
                }
                await Task.Delay(period, _time, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures.Fail(ex);
                await Task.Delay(period, _time, CancellationToken.None);
            }
        }
    }

    private async Task PublishLiveLogsAsync(CancellationToken cancellationToken)
    {
        // Most runs end within milliseconds and are written once, with their outcome; only runs that outlast an
        // interval cost a write, and only when their log grew.
        using var timer = new PeriodicTimer(_options.LiveLogInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var startedBefore = _time.GetUtcNow() - _options.LiveLogInterval;
                var logs = new List<(InFlight InFlight, LiveRunLog Log)>();
                foreach (var (runId, inFlight) in _inFlight)
                {
                    if (inFlight.ClaimedAt <= startedBefore && inFlight.Log.Count > inFlight.PublishedLines)
                    {
                        logs.Add((inFlight, new LiveRunLog(runId, inFlight.Attempt, inFlight.Log.Lines())));
                    }
                }
                if (logs.Count == 0)
                {
                    continue;
                }

                try
                {
                    await _store.PublishLogsAsync(NodeId, [.. logs.Select(l => l.Log)], cancellationToken);
                    foreach (var (inFlight, log) in logs)
                    {
                        inFlight.PublishedLines = log.Lines.Length;
                    }
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // Only the live view suffers: the outcome records the whole log, and the next tick tries again.
                    LogLiveLogsFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Returned {Count} runs with expired leases to the queue (or ended them, when they had no attempts left or were asked to stop); they were the runs of {Nodes}, which stopped renewing them")]
    private static partial void LogSwept(ILogger logger, int count, string nodes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Renewing leases or sweeping expired ones failed")]
    private static partial void LogLeaseMaintenanceFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Renewing leases or sweeping expired ones failed {Failures} times in a row: {Reason}")]
    private static partial void LogLeaseMaintenanceFailedAgain(ILogger logger, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Renewing leases and sweeping expired ones again, after {Failures} failures")]
    private static partial void LogLeaseMaintenanceWorks(ILogger logger, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the logs of running runs failed; trying again on the next tick")]
    private static partial void LogLiveLogsFailed(ILogger logger, Exception exception);
}
