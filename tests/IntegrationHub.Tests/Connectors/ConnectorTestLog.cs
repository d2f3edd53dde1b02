using System.Collections.Concurrent;
using System.Text.Json;
using IntegrationHub.Connectors;
using IntegrationHub.Scenarios;

namespace IntegrationHub.Tests.Connectors;

/// <summary>The run's log as a connector test sees it: the warnings a connector wrote, in order.</summary>
internal sealed class ConnectorTestLog : IConnectorLog
{
    private readonly ConcurrentQueue<string> _warnings = new();

    public IReadOnlyList<string> Warnings => [.. _warnings];

    public void Warn(string message) => _warnings.Enqueue(message);
}

internal static class SourceConnectorTestExtensions
{
    /// <summary>Reads for a run whose log no one looks at: most source tests are about the records or the error.</summary>
    public static Task<IReadOnlyList<JsonElement>> ReadAsync(this ISourceConnector source, Scenario scenario, CancellationToken cancellationToken) =>
        source.ReadAsync(new SourceContext(scenario, Guid.NewGuid(), new ConnectorTestLog()), cancellationToken);
}
