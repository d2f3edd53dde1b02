namespace IntegrationHub.Runs;

/// <summary>What started a run. Stored by name.</summary>
internal enum TriggerKind
{
    /// <summary>Run now, from the API or the web app.</summary>
    Manual,
    /// <summary>A cron occurrence.</summary>
    Schedule,
    /// <summary><c>GET /ExternalData/Accept</c>: the source is polled.</summary>
    ExternalGet,
    /// <summary><c>POST /ExternalData/Accept</c>: the request body replaces the source.</summary>
    ExternalPost,
    /// <summary>A resubmission of an earlier run.</summary>
    Retry,
}
