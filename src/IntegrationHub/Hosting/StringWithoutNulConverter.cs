using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Hosting;

/// <summary>
/// Reads the strings of the management API's JSON bodies, refusing any that holds U+0000 (NUL): PostgreSQL's text
/// cannot hold that character, so a scenario or token named with one was a 500 there. SQLite could store it; the hub
/// refuses it on both, so that a body does not mean different things on different databases.
/// </summary>
internal sealed class StringWithoutNulConverter : JsonConverter<string>
{
    public const string Refusal = "holds the character U+0000 (NUL), which the hub does not store";

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            // Without a message the serializer says what it says for any value of the wrong kind, path included.
            throw new JsonException();
        }
        var value = reader.GetString()!;
        return value.Contains('\0', StringComparison.Ordinal) ? throw new JsonException(Refusal) : value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
