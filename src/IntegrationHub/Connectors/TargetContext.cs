using IntegrationHub.Scenarios;
using IntegrationHub.Storage;

namespace IntegrationHub.Connectors;

/// <summary>The run a target connector writes for.</summary>
/// <param name="Storage">The run's pending storage changes: the hub's own storage is written through these, so that
/// they commit with the run's success (see <see cref="StorageChanges"/>).</param>
internal sealed record TargetContext(Scenario Scenario, Guid RunId, StorageChanges Storage);
