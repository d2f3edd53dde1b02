using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Runs;

/// <summary>How this node executes runs. Section <c>Runs</c>.</summary>
internal sealed class RunsOptions
{
    public const string SectionName = "Runs";

    /// <summary>
    /// Runs this node executes at once. Default: 32 per processor. Runs mostly wait: on HTTP sources and targets, on
    /// the database, or for one of the script turns (<c>Scripting:MaxConcurrentScripts</c>), none of which holds a
    /// thread. Many slots let one claim take a big batch and one commit record many outcomes: with 8 slots this
    /// 2-core machine completed about 650 runs/s, with 64 more than 2,000. Range 1 to 4096.
    /// </summary>
    [Range(1, 4096)]
    public int Concurrency { get; set; } = Environment.ProcessorCount * 32;

    /// <summary>
    /// How long a claimed run belongs to its node without a renewal; the node renews every third of it. A run whose
    /// node died goes back to the queue this long after the last renewal. Default 30 s; range 3 s to 1 h.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:03", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Wait before the second attempt of a failed run; doubles for every further attempt. Default 2 s; range 0 to 1 h.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait between attempts. Default 5 min; range 0 to 1 day.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The safety-net poll for queued runs when no wake-up arrived (wake-ups come in process and, on PostgreSQL,
    /// through LISTEN/NOTIFY). Also how soon a run whose retry backoff ended is picked up. Default 1 s; range 10 ms to 1 min.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the log of a run still running is written to the database, so the run page and the runs API show
    /// it as it grows. Runs that end sooner are written once, with their outcome. Default 1 s; range 100 ms to 1 min.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan LiveLogInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the scheduler looks for due cron occurrences. Default 1 s; range 100 ms to 1 min.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ScheduleInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The Retry-After, in seconds, of the 429 a trigger gets when its scenario's queue is full (external API, run now,
    /// retry). Default 5; range 1 to 3600.
    /// </summary>
    [Range(1, 3600)]
    public int QueueFullRetryAfterSeconds { get; set; } = 5;

    /// <summary>Most triggers committed in one group-commit transaction. Default 512; range 1 to 4096.</summary>
    [Range(1, 4096)]
    public int MaxEnqueueBatch { get; set; } = 512;

    /// <summary>
    /// Whether this node enqueues the runs of cron schedules. Any number of nodes may (each occurrence runs once);
    /// turning it off is for tests and for nodes that should only accept triggers. Default true.
    /// </summary>
    public bool RunSchedules { get; set; } = true;

    /// <summary>Whether this node executes runs. Nodes that only accept triggers set it to false. Default true.</summary>
    public bool ExecuteRuns { get; set; } = true;
}
