using IntegrationHub.Scenarios;
using IntegrationHub.Storage;

namespace IntegrationHub.Connectors;

/// <summary>The run a target connector writes for.</summary>
/// <param name="Storage">The run's pending storage changes: the hub's own storage is written through these, so that
/// they commit with the run's success (see <see cref="StorageChanges"/>).</param>
/// <param name="Log">The run's log, for what the connector got over (a retried call); failures are thrown instead.</param>
internal sealed record TargetContext(Scenario Scenario, Guid RunId, StorageChanges Storage, IConnectorLog Log);
