using System.Net.Http.Headers;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;

namespace IntegrationHub.Connectors.Http;

/// <summary><c>http</c>: GET the url; a JSON array gives one record per element, any other JSON value one record.</summary>
internal sealed class HttpSourceConnector(HttpConnectorClient client) : ISourceConnector
{
    private const string What = "The http source";

    public string Type => "http";

    public async Task<IReadOnlyList<JsonElement>> ReadAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        var settings = scenario.Source;
        var headers = new Dictionary<string, string>(settings.Headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        headers.TryAdd("Accept", "application/json");

        using var response = await client.SendAsync(What, HttpMethod.Get, settings.Url, headers, null, readBody: true, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (body.Length == 0)
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(body, HubJson.ValueOptions);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Array
                ? root.EnumerateArray().Select(e => e.Clone()).ToList()
                : [root.Clone()];
        }
        catch (JsonException ex)
        {
            var type = response.Content.Headers.ContentType ?? new MediaTypeHeaderValue("no content type");
            throw new ConnectorException(
                $"{What} answered with something that is not JSON ({type.MediaType}): {ex.Message.Split(" Path:")[0]}", retryable: false, ex);
        }
    }
}
