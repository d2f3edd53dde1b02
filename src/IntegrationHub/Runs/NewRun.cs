namespace IntegrationHub.Runs;

/// <summary>A run to put on the queue.</summary>
/// <param name="MaxQueuedRuns">Refuse the run when the scenario already has this many queued.</param>
internal sealed record NewRun(
    Guid WorkspaceId,
    Guid ScenarioId,
    TriggerKind Trigger,
    int MaxAttempts,
    int MaxQueuedRuns,
    string? Payload = null,
    Guid? TriggeredBy = null,
    Guid? RetryOf = null,
    DateTimeOffset? ScheduledFor = null,
    string? IdempotencyKey = null);

/// <summary>What happened to a trigger: queued, recognised as a repeat, or refused because the queue is full.</summary>
internal abstract record EnqueueResult
{
    private EnqueueResult() { }

    /// <summary>The run that will execute for this trigger (new or first of its Idempotency-Key); null when refused.</summary>
    public Guid? AcceptedRunId => this switch
    {
        Queued queued => queued.RunId,
        Duplicate duplicate => duplicate.RunId,
        _ => null,
    };

    /// <summary>Committed to the database: the run will execute.</summary>
    public sealed record Queued(Guid RunId) : EnqueueResult;

    /// <summary>The Idempotency-Key was seen within 24 hours; this is the first run's id.</summary>
    public sealed record Duplicate(Guid RunId) : EnqueueResult;

    /// <summary>The scenario already has its maximum of queued runs.</summary>
    public sealed record QueueFull : EnqueueResult;

    /// <summary>The scenario was deleted between the trigger's checks and its enqueue: there is nothing to run.</summary>
    public sealed record ScenarioGone(Guid ScenarioId) : EnqueueResult;
}
