using IntegrationHub.Data;
using IntegrationHub.Hosting;
using IntegrationHub.Scenarios;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Runs;

/// <summary>
/// Enqueues one run per due cron occurrence of every enabled scenario with a schedule, exactly once even when
/// several nodes share the database.
/// </summary>
/// <remarks>
/// Each scenario keeps <see cref="Scenario.NextOccurrenceAt"/>. When it is due, every node may try to enqueue the
/// occurrence, but the unique index on (ScenarioId, ScheduledFor) lets only one run in: the others get a Duplicate.
/// Then NextOccurrenceAt moves on with a conditional UPDATE (only from the value read). Enqueuing before advancing
/// means a node that dies in between leaves the occurrence due, and the next tick enqueues it (or finds it there).
/// After downtime only the latest missed occurrence is enqueued: a burst of stale runs helps nobody. Occurrences that are
/// only a few seconds late (a tick that came late) all run.
/// </remarks>
internal sealed partial class RunScheduler(
    IDbContextFactory<HubDbContext> dbFactory,
    RunQueue queue,
    IOptions<RunsOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<RunScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not before the node has started (HostStart): a node that fails to start enqueues nothing.
        if (!options.Value.RunSchedules || !await lifetime.WaitForStartAsync(stoppingToken))
        {
            return;
        }
        var failures = new FailureStreak(
            e => LogTickFailed(logger, e), (count, reason) => LogTickFailedAgain(logger, count, reason), count => LogTickRecovered(logger, count));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await TickAsync(stoppingToken);
                failures.Succeed();
                await Task.Delay(options.Value.ScheduleInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A database outage fails every tick the same way: its stack trace once, then a line now and then.
                failures.Fail(ex);
                await Task.Delay(options.Value.ScheduleInterval, time, stoppingToken);
            }
        }
    }

    /// <summary>Enqueues the due occurrences of all scheduled scenarios once; returns how many runs were queued.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var scenarios = await db.Scenarios.AsNoTracking()
            .Where(s => s.Enabled && s.Cron != null)
            .Select(s => new { s.Id, s.WorkspaceId, s.Cron, s.TimeZone, s.NextOccurrenceAt, s.MaxAttempts, s.MaxQueuedRuns })
            .ToListAsync(cancellationToken);

        var queued = 0;
        foreach (var s in scenarios)
        {
            // By the rules the save checked, so that a schedule that was saved runs.
            if (!ScenarioSchedule.TryParse(s.Cron!, s.TimeZone, out var schedule, out _))
            {
                LogInvalidSchedule(logger, s.Id, s.Cron!, s.TimeZone);
                continue;
            }

            if (s.NextOccurrenceAt is not { } due)
            {
                // Newly scheduled: the first occurrence is the next one from now.
                await AdvanceAsync(db, s.Id, null, schedule.Next(now), cancellationToken);
                continue;
            }
            if (due > now)
            {
                continue;
            }

            foreach (var occurrence in OccurrencesToRun(schedule, due, now, LateNotMissed))
            {
                var result = await queue.EnqueueAsync(
                    new NewRun(s.WorkspaceId, s.Id, TriggerKind.Schedule, s.MaxAttempts, s.MaxQueuedRuns, ScheduledFor: occurrence),
                    cancellationToken);
                switch (result)
                {
                    case EnqueueResult.Queued:
                        queued++;
                        break;
                    case EnqueueResult.QueueFull:
                        LogQueueFull(logger, s.Id, occurrence);
                        break;
                    case EnqueueResult.Duplicate:
                        break;
                    case EnqueueResult.ScenarioGone:
                        // Deleted since it was read: the advance below finds no row to change.
                        break;
                }
            }
            await AdvanceAsync(db, s.Id, due, schedule.Next(now), cancellationToken);
        }
        return queued;
    }

    /// <summary>
    /// How late the oldest due occurrence may be for every occurrence since to run: a tick comes a little late now and
    /// then, and a schedule of every second then has two due. Older than this, they fell while no node was looking.
    /// </summary>
    private TimeSpan LateNotMissed => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(10).Ticks, 3 * options.Value.ScheduleInterval.Ticks));

    /// <summary>
    /// The occurrences in [<paramref name="due"/>, <paramref name="now"/>] to enqueue (<paramref name="due"/> is one): all
    /// of them when <paramref name="due"/> is at most <paramref name="lateNotMissed"/> old, else only the latest.
    /// </summary>
    internal static IReadOnlyList<DateTimeOffset> OccurrencesToRun(
        ScenarioSchedule schedule, DateTimeOffset due, DateTimeOffset now, TimeSpan lateNotMissed)
    {
        var occurrences = schedule.Occurrences(due, now);
        return now - due <= lateNotMissed ? [.. occurrences.DefaultIfEmpty(due)] : [occurrences.LastOrDefault(due)];
    }

    private static Task<int> AdvanceAsync(HubDbContext db, Guid scenarioId, DateTimeOffset? from, DateTimeOffset? next, CancellationToken cancellationToken) =>
        // Conditional on the value this node read: if another node advanced it first, this changes nothing.
        db.Scenarios
            .Where(s => s.Id == scenarioId && s.NextOccurrenceAt == from)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.NextOccurrenceAt, next), cancellationToken);

    [LoggerMessage(Level = LogLevel.Error, Message = "Looking for due schedules failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Looking for due schedules failed {Failures} times in a row: {Reason}")]
    private static partial void LogTickFailedAgain(ILogger logger, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Looking for due schedules works again, after {Failures} failures")]
    private static partial void LogTickRecovered(ILogger logger, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scenario {ScenarioId} has an invalid schedule '{Cron}' in time zone '{TimeZone}'; skipped")]
    private static partial void LogInvalidSchedule(ILogger logger, Guid scenarioId, string cron, string? timeZone);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scenario {ScenarioId}: the occurrence at {Occurrence} was skipped because its queue is full")]
    private static partial void LogQueueFull(ILogger logger, Guid scenarioId, DateTimeOffset occurrence);
}
