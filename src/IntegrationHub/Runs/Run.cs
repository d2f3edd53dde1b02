namespace IntegrationHub.Runs;

/// <summary>
/// One execution of a scenario. The runs table is also the queue: a run is Queued until a worker claims it.
/// </summary>
internal sealed class Run
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; init; }
    public Guid ScenarioId { get; init; }
    public RunStatus Status { get; set; }
    public TriggerKind Trigger { get; init; }
    /// <summary>The user or token owner who triggered the run; null for anonymous and scheduled runs.</summary>
    public Guid? TriggeredBy { get; init; }
    /// <summary>For retries: the run this one resubmits.</summary>
    public Guid? RetryOf { get; init; }
    /// <summary>For scheduled runs: the cron occurrence; unique per scenario so every occurrence runs once.</summary>
    public DateTimeOffset? ScheduledFor { get; init; }
    /// <summary>The caller's Idempotency-Key header, unique per scenario for 24 hours.</summary>
    public string? IdempotencyKey { get; init; }
    public DateTimeOffset QueuedAt { get; init; }
    /// <summary>Not claimed before this moment; moves forward for retry backoff.</summary>
    public DateTimeOffset AvailableAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public int Attempts { get; set; }
    public int MaxAttempts { get; init; }
    /// <summary>The node holding the run while it is Running; once it ended, the node that ran its last attempt.</summary>
    public string? LeaseOwner { get; set; }
    /// <summary>When a Running run whose node stopped renewing goes back to the queue.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }
    public int RecordsIn { get; set; }
    public int RecordsOut { get; set; }
    public string? Error { get; set; }
    public int? ErrorLine { get; set; }
    public int? ErrorColumn { get; set; }

    // The large columns last, in this order in the table too: SQLite stores a row's columns one after another, and
    // reading any column behind a large one (a 2 MB payload) walks that one's overflow pages first.

    /// <summary>The run's log as a JSON array of <c>{ at, level, message }</c>.</summary>
    public string? Log { get; set; }
    /// <summary>The records the Source Script returned, as JSON.</summary>
    public string? Result { get; set; }
    /// <summary>For <see cref="TriggerKind.ExternalPost"/>: the accepted request as JSON (see <c>TriggerRequest</c>).</summary>
    public string? Payload { get; init; }

    /// <summary>When a user asked this Running run to stop (<c>RunCancellation</c>); its node then records it Cancelled.</summary>
    /// <remarks>Added by a later migration, so SQLite's table has it behind the large columns: only lease renewals and
    /// reads of one run look at it.</remarks>
    public DateTimeOffset? CancelRequestedAt { get; set; }
}
