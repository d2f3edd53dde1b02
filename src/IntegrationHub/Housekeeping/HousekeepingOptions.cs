using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Housekeeping;

/// <summary>What the hub deletes on its own, and how often it looks. Section <c>Housekeeping</c>.</summary>
internal sealed class HousekeepingOptions
{
    public const string SectionName = "Housekeeping";

    /// <summary>
    /// How long the history of an ended run (Succeeded, Failed or Cancelled) is kept, counted from when it was
    /// queued. Runs still queued or running are never deleted. Default 30 days; range 1 day (Idempotency-Keys look
    /// back 24 hours) to 36,500 days, which keeps them for good.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "36500.00:00:00")]
    public TimeSpan RunRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often old runs and expired storage entries are deleted. Default 1 min; range 1 s to 1 day.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Rows deleted per statement. Each statement is a short write of its own, so that on SQLite, whose single writer
    /// the trigger path shares, a large backlog of old rows is deleted between triggers rather than in front of them:
    /// while 113,000 old runs were deleted, an accept-only node's p99 was 21-25 ms with 200 rows per statement and
    /// 30-32 ms with 1,000 (11-13 ms without a sweep). Default 200; range 1 to 100,000.
    /// </summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 200;
}
