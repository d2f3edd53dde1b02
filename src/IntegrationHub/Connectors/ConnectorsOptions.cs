using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Connectors;

/// <summary>
/// How connectors talk to other systems, section <c>Connectors</c>. Every HTTP call of a run is also bounded by the
/// scenario's <c>TimeoutSeconds</c>.
/// </summary>
internal sealed class ConnectorsOptions
{
    public const string SectionName = "Connectors";

    /// <summary>
    /// How long one HTTP attempt may take before it counts as timed out and is retried, an http source's reading of the
    /// body included. Default 30 s; range 1 s to 10 min.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan HttpAttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one HTTP call may take, retries and waits included. Default 2 min; range 1 s to 1 h.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan HttpTotalTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Retries after a timeout, a network error, a 5xx, 408 or 429 answer. Default 3; range 0 to 10.
    /// Requests are retried whatever their method: a target that is not idempotent may see a record twice.
    /// </summary>
    [Range(0, 10)]
    public int HttpRetryAttempts { get; set; } = 3;

    /// <summary>The wait before the first retry; it doubles with each retry, with jitter. Default 1 s; range 0 to 1 min.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan HttpRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait before one retry, a Retry-After header's included: a server asking for longer (a rate limit's
    /// Retry-After: 3600) is retried sooner instead of the call waiting past HttpTotalTimeout and failing as a timeout.
    /// Default 30 s; range 0 to 10 min.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan HttpMaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Networks the http connectors never connect to: CIDR ranges separated by commas, checked against every address a
    /// host name resolves to, redirects included. The default blocks where cloud instance metadata and platform services
    /// answer, whose credentials a scenario must not read: link-local addresses (169.254.0.0/16, fe80::/10), AWS's
    /// metadata IPv6 address, Azure's platform address 168.63.129.16, and 0.0.0.0/8 and ::/128, which reach this machine
    /// (IPv4 addresses written as IPv6, ::ffff:0.0.0.0, count as the IPv4 address).
    /// Loopback and private networks stay reachable, as the systems a self-hosted hub connects usually live there;
    /// add 127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and fc00::/7 to block them too. Empty: none.
    /// </summary>
    public string HttpBlockedNetworks { get; set; } = "0.0.0.0/8, ::/128, 169.254.0.0/16, 168.63.129.16/32, fe80::/10, fd00:ec2::254/128";

    /// <summary>
    /// The largest response body an http source reads, in bytes; a larger one fails the run at once, without a retry.
    /// Default 16,777,216 (16 MiB); range 1 KiB to 1 GiB.
    /// </summary>
    [Range(1024, 1 << 30)]
    public int HttpMaxResponseBytes { get; set; } = 16 << 20;
}
