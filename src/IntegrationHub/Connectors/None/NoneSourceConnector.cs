using System.Text.Json;

namespace IntegrationHub.Connectors.None;

/// <summary><c>none</c>: no source; the script gets <c>data = []</c> (unless the trigger brought a request).</summary>
internal sealed class NoneSourceConnector : ISourceConnector
{
    public string Type => ConnectorTypes.None;

    public Task<IReadOnlyList<JsonElement>> ReadAsync(SourceContext run, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<JsonElement>>([]);
}
