using System.Text;
using System.Text.Json;
using IntegrationHub.Data;

namespace IntegrationHub.Runs;

/// <summary>
/// A request accepted by <c>POST /ExternalData/Accept</c>, stored with its run (as <see cref="Run.Payload"/>) and given
/// to the Source Script as <c>data[0]</c>. Property names are the ones scripts use: <c>data[0].Body</c> and so on.
/// </summary>
/// <param name="Body">The parsed body: JSON as is, XML and forms turned into objects at accept time.</param>
/// <param name="RawBody">The body as text.</param>
/// <param name="Query">Each query parameter: a string, or an array of strings for one sent several times.</param>
internal sealed record TriggerRequest(
    JsonElement Body,
    string RawBody,
    string ContentType,
    IReadOnlyDictionary<string, string> Headers,
    IReadOnlyDictionary<string, JsonElement> Query,
    DateTimeOffset ReceivedAt)
{
    /// <summary>The stored form: PascalCase as scripts see it, and deep enough for the deepest body the external API accepts.</summary>
    public static readonly JsonSerializerOptions SerializerOptions = new() { PropertyNamingPolicy = null, MaxDepth = HubJson.MaxDepth };

    /// <summary>Reads a stored request through, checking it is a JSON object, and returns its <c>ContentType</c>.</summary>
    /// <exception cref="JsonException">The text is not a JSON object.</exception>
    public static string? ReadContentType(string storedRequest)
    {
        ArgumentNullException.ThrowIfNull(storedRequest);
        // Deep enough for the deepest body the external API accepts, inside the request object.
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(storedRequest), new JsonReaderOptions { MaxDepth = HubJson.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The stored request is not a JSON object.");
        }

        string? contentType = null;
        while (reader.Read())
        {
            if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("ContentType"u8))
            {
                reader.Read();
                contentType = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
        }
        return contentType;
    }
}
