using IntegrationHub.Data;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Runs;

/// <summary>The durable run queue: the runs table. Enqueue returns once the run is committed.</summary>
public sealed class RunQueue(IDbContextFactory<HubDbContext> dbFactory, TimeProvider time)
{
    // A plain one-insert-per-trigger version; group commit, claiming and leases are to be written.
    public async Task<EnqueueResult> EnqueueAsync(NewRun run, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var queued = await db.Runs.CountAsync(r => r.ScenarioId == run.ScenarioId && r.Status == RunStatus.Queued, cancellationToken);
        if (queued >= run.MaxQueuedRuns)
        {
            return new EnqueueResult.QueueFull();
        }

        var entity = new Run
        {
            WorkspaceId = run.WorkspaceId,
            ScenarioId = run.ScenarioId,
            Status = RunStatus.Queued,
            Trigger = run.Trigger,
            Payload = run.Payload,
            TriggeredBy = run.TriggeredBy,
            RetryOf = run.RetryOf,
            ScheduledFor = run.ScheduledFor,
            IdempotencyKey = run.IdempotencyKey,
            MaxAttempts = run.MaxAttempts,
            QueuedAt = now,
            AvailableAt = now,
        };
        db.Runs.Add(entity);
        await db.SaveChangesAsync(cancellationToken);
        return new EnqueueResult.Queued(entity.Id);
    }

    /// <summary>The run once it has ended (Succeeded, Failed or Cancelled), or as it is when <paramref name="timeout"/> passes.</summary>
    public async Task<Run?> WaitForCompletionAsync(Guid runId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Placeholder polling until the queue signals completions.
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
            if (run is null || run.Status is not (RunStatus.Queued or RunStatus.Running) || time.GetUtcNow() >= deadline)
            {
                return run;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
        }
    }
}
