namespace IntegrationHub.Scenarios;

/// <summary>
/// An integration: where data comes from, the Source Script that shapes it, where it goes, and when it runs.
/// </summary>
internal sealed class Scenario
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; init; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    public bool Enabled { get; set; } = true;
    public SourceSettings Source { get; set; } = new();
    public string SourceScript { get; set; } = "";
    public TargetSettings Target { get; set; } = new();
    /// <summary>Cron expression (five fields, or six with seconds); null when the scenario has no schedule.</summary>
    public string? Cron { get; set; }
    /// <summary>IANA or Windows time zone id the cron expression is read in; UTC when null.</summary>
    public string? TimeZone { get; set; }
    /// <summary>The next schedule occurrence not yet enqueued; kept by the scheduler.</summary>
    public DateTimeOffset? NextOccurrenceAt { get; set; }
    public bool EnableExternalTriggers { get; set; }
    public bool AllowAnonymousTriggers { get; set; }
    public int MaxConcurrentRuns { get; set; } = 1;
    public int MaxQueuedRuns { get; set; } = 1000;
    public int TimeoutSeconds { get; set; } = 300;
    public int MaxAttempts { get; set; } = 3;
    /// <summary>
    /// The run queued last, kept by the run queue in the transaction that queues it (EF only inserts it, as null): the
    /// scenario list shows it without looking for it among the workspace's runs. Null until the first run; it may name
    /// a run that housekeeping has since deleted.
    /// </summary>
    public Guid? LastRunId { get; set; }
    /// <summary>Incremented on every save; caches of parsed scripts and trigger settings key on it.</summary>
    public int Version { get; set; } = 1;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Where a run's data comes from when the trigger does not bring it.</summary>
/// <param name="Type">A connector name: <c>none</c>, <c>http</c> or <c>storage</c>.</param>
/// <param name="Url">For <c>http</c>: the URL to GET.</param>
/// <param name="Headers">
/// For <c>http</c>: request headers to send, to the url's origin only (not on after a redirect to another host).
/// </param>
internal sealed record SourceSettings(string Type = "none", string? Url = null, IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>Where the records the Source Script returns are written.</summary>
/// <param name="Type">A connector name: <c>none</c>, <c>http</c> or <c>storage</c>.</param>
/// <param name="Url">For <c>http</c>: the URL to send records to.</param>
/// <param name="Method">For <c>http</c>: POST, PUT or PATCH.</param>
/// <param name="Batch">For <c>http</c>: send all records in one request as a JSON array instead of one request each.</param>
/// <param name="Headers">
/// For <c>http</c>: request headers to send, to the url's origin only (not on after a redirect to another host).
/// </param>
/// <param name="KeyFields">For <c>storage</c>: the record fields whose values form the storage key.</param>
internal sealed record TargetSettings(
    string Type = "none",
    string? Url = null,
    string Method = "POST",
    bool Batch = false,
    IReadOnlyDictionary<string, string>? Headers = null,
    IReadOnlyList<string>? KeyFields = null);
