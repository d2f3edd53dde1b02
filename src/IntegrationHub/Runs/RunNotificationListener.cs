using IntegrationHub.Data;
using IntegrationHub.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IntegrationHub.Runs;

/// <summary>
/// PostgreSQL only: keeps a connection LISTENing on <see cref="Channel"/> so this node's workers wake within
/// milliseconds when another node enqueues, cancels a run or deletes a scenario, instead of on the next poll or renewal.
/// </summary>
internal sealed partial class RunNotificationListener(
    HubConnectionString connection,
    RunSignals signals,
    IOptions<RunsOptions> options,
    TimeProvider time,
    ILogger<RunNotificationListener> logger) : BackgroundService
{
    /// <summary>
    /// The notification channel nodes LISTEN on. A NOTIFY on it without a payload means runs became claimable; one with
    /// <see cref="CancelPayload"/> asks the node running that run to stop it, and one with <see cref="DeletedPayload"/>
    /// asks every node to stop the runs of a scenario that was deleted.
    /// </summary>
    public const string Channel = "hub_runs";

    private const string CancelPrefix = "cancel:";
    private const string DeletedPrefix = "deleted:";

    public static string CancelPayload(Guid runId) => CancelPrefix + runId.ToString("D");

    public static string DeletedPayload(Guid scenarioId) => DeletedPrefix + scenarioId.ToString("D");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (connection.Provider != DatabaseProvider.Postgres || !options.Value.ExecuteRuns)
        {
            return;
        }

        // LISTEN holds its connection for the life of the node; it must not take one from the application's pool.
        var builder = new NpgsqlConnectionStringBuilder(connection.Value) { Pooling = false, KeepAlive = 30 };
        var failures = new FailureStreak(
            e => LogListenFailed(logger, e), (count, reason) => LogListenFailedAgain(logger, count, reason), count => LogListening(logger, count));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var listen = new NpgsqlConnection(builder.ConnectionString);
                await listen.OpenAsync(stoppingToken);
                listen.Notification += (_, e) => Notified(e.Payload);
                await using (var command = new NpgsqlCommand($"LISTEN {RunNotificationListener.Channel}", listen))
                {
                    await command.ExecuteNonQueryAsync(stoppingToken);
                }
                // Notifications sent while the connection was down are lost: look at the queue once.
                signals.WorkAvailable();
                failures.Succeed();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await listen.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
            {
                // The poll covers the gap, so an outage needs no reconnection every second, nor a stack trace for each.
                failures.Fail(ex);
                await Task.Delay(ReconnectDelay(failures.Count), time, stoppingToken);
            }
        }
    }

    private void Notified(string payload)
    {
        if (payload.StartsWith(CancelPrefix, StringComparison.Ordinal) && Guid.TryParse(payload.AsSpan(CancelPrefix.Length), out var runId))
        {
            signals.RequestCancel(runId);
        }
        else if (payload.StartsWith(DeletedPrefix, StringComparison.Ordinal) && Guid.TryParse(payload.AsSpan(DeletedPrefix.Length), out var scenarioId))
        {
            signals.DeletedScenario(scenarioId);
        }
        else
        {
            signals.WorkAvailable();
        }
    }

    /// <summary>1 s after the first failure, doubling up to 30 s.</summary>
    internal static TimeSpan ReconnectDelay(int failures) => TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(failures - 1, 5)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for run notifications failed; reconnecting (the poll covers the gap)")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for run notifications failed {Failures} times in a row: {Reason}")]
    private static partial void LogListenFailedAgain(ILogger logger, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for run notifications again, after {Failures} failures")]
    private static partial void LogListening(ILogger logger, int failures);
}
