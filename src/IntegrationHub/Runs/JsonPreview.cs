using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace IntegrationHub.Runs;

/// <summary>
/// The start of a stored JSON text (a run's request or result), indented for reading. A page shows at most
/// <see cref="MaxChars"/> of it and links to the whole: a run that returned two million records has a 26 MB result,
/// which rendered whole made a 95 MB page and 2.5 GB of memory in the hub.
/// </summary>
/// <param name="Text">The indented start, cut after a whole token.</param>
/// <param name="IsCut">Whether the text goes on past <see cref="Text"/>.</param>
/// <param name="Length">The whole stored text's length in characters.</param>
public sealed record JsonPreview(string Text, bool IsCut, long Length)
{
    /// <summary>
    /// At most this much indented text is shown, and this much of the stored text is read for it: compact JSON only
    /// grows when indented.
    /// </summary>
    public const int MaxChars = 64 * 1024;

    // Relaxed escaping: the text is HTML-encoded by Razor anyway, and "\u0022" for every quote would be unreadable.
    private static readonly JsonWriterOptions Indented = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>
    /// The preview of a stored text of <paramref name="length"/> characters whose first <see cref="MaxChars"/> are
    /// <paramref name="head"/>; null when nothing is stored. Text that is not JSON is shown as it is.
    /// </summary>
    public static JsonPreview? Of(string? head, long length)
    {
        if (string.IsNullOrEmpty(head))
        {
            return null;
        }

        var bytes = Encoding.UTF8.GetBytes(head);
        var isWhole = head.Length >= length;
        // Not the final block when the head is cut: the reader then stops before the token the cut went through.
        var reader = new Utf8JsonReader(bytes, isFinalBlock: isWhole, state: default);
        var buffer = new ArrayBufferWriter<byte>(Math.Min(bytes.Length * 2, MaxChars * 2));
        using var writer = new Utf8JsonWriter(buffer, Indented);
        try
        {
            while (reader.Read())
            {
                if (writer.BytesCommitted + writer.BytesPending >= MaxChars)
                {
                    isWhole = false;
                    break;
                }
                Copy(ref reader, writer);
            }
        }
        catch (JsonException)
        {
            return new(head, head.Length < length, length);
        }

        writer.Flush();
        return new(Encoding.UTF8.GetString(buffer.WrittenSpan), !isWhole, length);
    }

    private static void Copy(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                writer.WriteStartObject();
                break;
            case JsonTokenType.EndObject:
                writer.WriteEndObject();
                break;
            case JsonTokenType.StartArray:
                writer.WriteStartArray();
                break;
            case JsonTokenType.EndArray:
                writer.WriteEndArray();
                break;
            case JsonTokenType.PropertyName:
                writer.WritePropertyName(reader.GetString()!);
                break;
            case JsonTokenType.String:
                writer.WriteStringValue(reader.GetString());
                break;
            case JsonTokenType.Number:
                writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                break;
            case JsonTokenType.True or JsonTokenType.False:
                writer.WriteBooleanValue(reader.GetBoolean());
                break;
            case JsonTokenType.Null:
                writer.WriteNullValue();
                break;
            default:
                // Comments never occur: the reader does not allow them.
                break;
        }
    }
}
