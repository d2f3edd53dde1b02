using System.Text.Json;

namespace IntegrationHub.Connectors.None;

/// <summary><c>none</c>: the records are only kept as the run's result.</summary>
internal sealed class NoneTargetConnector : ITargetConnector
{
    public string Type => ConnectorTypes.None;

    public Task WriteAsync(TargetContext run, IReadOnlyList<JsonElement> records, CancellationToken cancellationToken) => Task.CompletedTask;
}
