using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.ExternalApi;
using IntegrationHub.Scenarios;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Connectors.Http;

/// <summary><c>http</c>: GET the url; a JSON array gives one record per element, any other JSON value one record.</summary>
internal sealed class HttpSourceConnector(HttpConnectorClient client) : ISourceConnector
{
    private const string What = "The http source";

    public string Type => ConnectorTypes.Http;

    public async Task<IReadOnlyList<JsonElement>> ReadAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        var settings = scenario.Source;
        using var response = await client.SendAsync(
            What, HttpMethod.Get, settings.Url, settings.Headers, null, readBody: true, cancellationToken, accept: "application/json");
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (body.Length == 0)
        {
            return [];
        }

        var contentType = response.Content.Headers.ContentType?.ToString();
        var json = Utf8(body, MediaTypeHeaderValue.TryParse(contentType, out var mediaType) ? mediaType : null);
        try
        {
            using var document = JsonDocument.Parse(json, HubJson.ValueOptions);
            // Checked as every value that comes in is: an unpaired surrogate ("\ud800") parses, but failed the run
            // later, as retryable, in System.Text.Json's words.
            if (HubJson.FindProblem(json.Span) is { } problem)
            {
                throw new ConnectorException($"{What} answered with JSON the hub cannot hold: {problem}.", retryable: false);
            }
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Array
                ? root.EnumerateArray().Select(e => e.Clone()).ToList()
                : [root.Clone()];
        }
        catch (JsonException ex)
        {
            throw new ConnectorException(
                $"{What} answered with something that is not JSON ({mediaType?.MediaType.Value ?? "no content type"}): {ex.Message.Split(" Path:")[0]}", retryable: false, ex);
        }
    }

    /// <summary>
    /// The body as UTF-8, decoded strictly by the charset the answer names (UTF-8 when none) as a trigger's body is,
    /// without a byte order mark: a byte not valid in it would otherwise become U+FFFD in the records, silently.
    /// </summary>
    private static ReadOnlyMemory<byte> Utf8(byte[] body, MediaTypeHeaderValue? mediaType)
    {
        var decoded = BodyText.DecodeToUtf8(body, mediaType);
        if (decoded.UnsupportedCharset is { } charset)
        {
            throw new ConnectorException($"{What} answered in the charset \"{charset}\", which the hub does not decode.", retryable: false);
        }
        if (decoded.InvalidText is { } error)
        {
            throw new ConnectorException($"{What} answered with a body that is {error}.", retryable: false);
        }
        return decoded.Bytes;
    }
}
