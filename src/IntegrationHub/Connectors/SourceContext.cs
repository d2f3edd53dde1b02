using IntegrationHub.Scenarios;

namespace IntegrationHub.Connectors;

/// <summary>The run a source connector reads for.</summary>
/// <param name="Log">The run's log, for what the connector got over (a retried call); failures are thrown instead.</param>
internal sealed record SourceContext(Scenario Scenario, Guid RunId, IConnectorLog Log);
