namespace IntegrationHub.Connectors;

/// <summary>
/// The run's token stopped a connector mid-call (its timeout, a cancel, a lost lease): still an
/// <see cref="OperationCanceledException"/> to everyone who stops the run, but carrying what the connector was doing, so
/// that a timeout's message can say it. Without it the run's error said only "timed out after 10 s" for a server that
/// had answered 429 to every call within milliseconds, and not which record a per-record target was sending.
/// </summary>
internal sealed class ConnectorInterruptedException(
    string? record, string? lastAnswer, Exception innerException, CancellationToken cancellationToken, string? delivered = null)
    : OperationCanceledException("A connector call was stopped by the run's cancellation.", innerException, cancellationToken)
{
    /// <summary>The record being sent, such as "Record 2 of 10"; null when the connector does not go record by record.</summary>
    public string? Record { get; } = record;

    /// <summary>What the server had answered to an earlier try of the call, such as "GET http://host/orders answered 503 Service Unavailable".</summary>
    public string? LastAnswer { get; } = lastAnswer;

    /// <summary>
    /// Which records arrived before <see cref="Record"/>, such as "Records 1 to 2 were delivered before it."; null
    /// when none did or the connector does not go record by record. A failed run counts no records out, and users
    /// took that for nothing delivered.
    /// </summary>
    public string? Delivered { get; } = delivered;

    /// <summary>This one, telling of <paramref name="record"/> and what was <paramref name="delivered"/> before it too.</summary>
    public ConnectorInterruptedException ForRecord(string record, string? delivered) => new(record, LastAnswer, InnerException!, CancellationToken, delivered);
}
