using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Hosting;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Connectors.Http;

/// <summary><c>http</c>: GET the url; a JSON array gives one record per element, any other JSON value one record.</summary>
internal sealed class HttpSourceConnector(HttpConnectorClient client) : ISourceConnector
{
    private const string What = "The http source";

    /// <summary>
    /// Any depth, so that a document nested too deep is told apart from one that is not JSON (the reader's depth error
    /// called it "not JSON"); <see cref="HubJson.FindProblem"/> then holds it to the hub's depth. The parse is not
    /// recursive, and Connectors:HttpMaxResponseBytes bounds how deep an answer can go.
    /// </summary>
    private static readonly JsonDocumentOptions AnyDepth = new() { MaxDepth = int.MaxValue };

    public string Type => ConnectorTypes.Http;

    public async Task<IReadOnlyList<JsonElement>> ReadAsync(SourceContext run, CancellationToken cancellationToken)
    {
        var settings = run.Scenario.Source;
        using var response = await client.SendAsync(
            What, HttpMethod.Get, settings.Url, settings.Headers, null, readBody: true, run.Log, cancellationToken, accept: "application/json");
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        // The handler decodes what the hub asks for and then drops the header; a coding left is one it did not ask for
        // (zstd), whose bytes failed as "not valid UTF-8 at byte offset 1".
        if (response.Content.Headers.ContentEncoding.FirstOrDefault(c => !c.Equals("identity", StringComparison.OrdinalIgnoreCase)) is { } coding)
        {
            throw new ConnectorException(
                $"{What} answered in the Content-Encoding \"{coding}\", which the hub does not decode (it asks for gzip, deflate or br).", retryable: false);
        }
        if (body.Length == 0)
        {
            return [];
        }

        var contentType = response.Content.Headers.ContentType?.ToString();
        var json = Utf8(body, MediaTypeHeaderValue.TryParse(contentType, out var mediaType) ? mediaType : null);
        // A body of only a line break or spaces (what many frameworks send for "nothing") is no records, as an empty one is.
        if (json.Span.IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            return [];
        }
        try
        {
            using var document = JsonDocument.Parse(json, AnyDepth);
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
            // System.Text.Json's own "LineNumber: 0 | BytePositionInLine: 0" counts from 0; the hub's positions count from 1.
            var reason = ex.Message.Split([" LineNumber:", " Path:"], 2, StringSplitOptions.None)[0].TrimEnd().TrimEnd('.');
            throw new ConnectorException(
                $"{What} answered with something that is not JSON ({mediaType?.MediaType.Value ?? "no content type"}): {reason}, "
                + $"at line {(ex.LineNumber ?? 0) + 1}, position {(ex.BytePositionInLine ?? 0) + 1}.", retryable: false, ex);
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
