namespace IntegrationHub.Connectors;

/// <summary>A connector could not read or write. The message is written for the run's log; it never holds header values.</summary>
/// <param name="retryable">Whether another attempt may succeed: true for timeouts, 5xx answers and network errors.</param>
internal sealed class ConnectorException(string message, bool retryable, Exception? innerException = null)
    : Exception(message, innerException)
{
    public bool Retryable { get; } = retryable;
}
