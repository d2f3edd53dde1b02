using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace IntegrationHub.Storage;

/// <summary>
/// Storage keys are JSON values compared canonically: object properties sorted by name (ordinal),
/// no white space, strings re-escaped the one way System.Text.Json writes them. Numbers keep their
/// literal text, so <c>1</c> and <c>1.0</c> are different keys.
/// </summary>
public static class StorageKey
{
    /// <summary>Turns a key given as JSON text into its canonical form.</summary>
    /// <param name="error">Where the text stops being JSON, for a 400 that says where.</param>
    public static bool TryCanonicalize(string keyJson, [NotNullWhen(true)] out string? canonical, [NotNullWhen(false)] out string? error)
    {
        try
        {
            using var document = JsonDocument.Parse(keyJson);
            canonical = Canonicalize(document.RootElement);
            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            canonical = null;
            error = $"keyJson is not valid JSON at position {(ex.BytePositionInLine ?? 0) + 1}: {ex.Message.Split(" Path:")[0]}";
            return false;
        }
    }

    /// <summary>The canonical text of an already parsed JSON value.</summary>
    public static string Canonicalize(JsonElement key)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, key);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
