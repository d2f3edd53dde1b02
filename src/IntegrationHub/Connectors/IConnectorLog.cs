namespace IntegrationHub.Connectors;

/// <summary>
/// The run's log as a connector sees it: where it tells of what it got over without failing the run. A call that was
/// retried and then succeeded left no trace, so a user who found a record twice in the target could not see that the
/// hub had sent it twice (the first try answered 500, or timed out after the target had received it).
/// </summary>
internal interface IConnectorLog
{
    /// <summary>Writes a warning line into the run's log; it may be called from any thread. Never pass a secret: the
    /// run's log is shown to everyone who may see the run.</summary>
    void Warn(string message);
}
