using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.ExternalApi;

/// <summary>Limits of <c>/ExternalData</c>. Section <c>ExternalApi</c> (environment: <c>ExternalApi__MaxBodyBytes</c>).</summary>
internal sealed class ExternalApiOptions
{
    public const string SectionName = "ExternalApi";

    /// <summary>
    /// The largest request body <c>POST /ExternalData/Accept</c> takes, in bytes; larger ones get 413. The body is
    /// stored with the run (twice: parsed and raw), so this also bounds a run's row. Default 10 MiB; 1 byte to 1 GiB.
    /// </summary>
    [Range(1, 1L << 30)]
    public long MaxBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// The longest <c>?wait=N</c> honoured, in seconds; a larger N is cut to this. 0 turns waiting off.
    /// Default 30; 0 to 600. Each waiting caller holds a connection, so keep it short.
    /// </summary>
    [Range(0, 600)]
    public int MaxWaitSeconds { get; set; } = 30;
}
