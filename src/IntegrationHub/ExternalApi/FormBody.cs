using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using IntegrationHub.Hosting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.ExternalApi;

/// <summary>
/// Turns a submitted form into the object a Source Script sees as <c>data[0].Body</c>: each field is a property
/// holding its text, a field sent several times holds an array of them, and an uploaded file is
/// <c>{ "fileName", "contentType", "length", "content" }</c> with the content in base64.
/// </summary>
internal static class FormBody
{
    /// <summary>The longest multipart boundary RFC 2046 allows (section 5.1.1).</summary>
    public const int MaxBoundaryLength = 70;

    /// <summary>
    /// Fields of an <c>application/x-www-form-urlencoded</c> body, decoded as it came (<paramref name="body"/>) in its
    /// charset (<paramref name="encoding"/>): <c>+</c> is a space and <c>%XX</c> a byte, and a field's bytes are text in
    /// that charset too. Throws <see cref="InvalidDataException"/> naming the field whose bytes are not.
    /// </summary>
    /// <remarks>
    /// <paramref name="encoding"/> must be ASCII-compatible (<see cref="BodyText.IsAsciiCompatible"/>; the reader refuses
    /// other charsets for forms): the escapes are found in the field's bytes in it.
    /// </remarks>
    public static JsonElement ParseUrlEncoded(string body, Encoding encoding)
    {
        var values = new List<KeyValuePair<string, object>>();
        foreach (var field in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = field.IndexOf('=', StringComparison.Ordinal);
            var rawName = equals < 0 ? field : field[..equals];
            var name = Unescape(rawName, encoding, rawName);
            values.Add(new(name, equals < 0 ? "" : Unescape(field[(equals + 1)..], encoding, name)));
        }
        return Write(values);
    }

    private static string Unescape(string text, Encoding encoding, string fieldName)
    {
        if (text.AsSpan().IndexOfAny('%', '+') < 0)
        {
            return text;
        }
        var bytes = encoding.GetBytes(text);
        // Leaves a % that no two hex digits follow as it is, as browsers and FormReader do.
        var unescaped = WebUtility.UrlDecodeToBytes(bytes, 0, bytes.Length);
        try
        {
            return encoding.GetString(unescaped);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException(
                $"The field '{fieldName}' is not valid {BodyText.NameOf(encoding)} once its %-escapes are decoded.");
        }
    }

    /// <summary>Throws <see cref="InvalidDataException"/>, saying what is wrong, when the multipart body is malformed.</summary>
    /// <remarks>A text field is decoded by the charset of its part's Content-Type, else by <paramref name="encoding"/> (the body's).</remarks>
    public static async Task<JsonElement> ParseMultipartAsync(
        byte[] body, MediaTypeHeaderValue contentType, Encoding encoding, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary))
        {
            throw new InvalidDataException("The multipart/form-data content type has no boundary.");
        }
        // RFC 2046, 5.1.1. Checked here because MultipartReader throws ArgumentOutOfRangeException for a boundary
        // longer than its buffer (about 4 KB), which would leave as a 500 instead of saying what is wrong.
        if (boundary.Length > MaxBoundaryLength)
        {
            throw new InvalidDataException(
                $"The multipart/form-data boundary is {boundary.Length} characters long; RFC 2046 allows at most {MaxBoundaryLength}.");
        }

        var values = new List<KeyValuePair<string, object>>();
        var reader = new MultipartReader(boundary, new MemoryStream(body, writable: false));
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidDataException("A multipart section has no form-data Content-Disposition.");
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                using var content = new MemoryStream();
                await section.Body.CopyToAsync(content, cancellationToken);
                if (disposition.IsFileDisposition())
                {
                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    values.Add(new(name, new UploadedFile(fileName ?? "", section.ContentType ?? "application/octet-stream", content.Length, Convert.ToBase64String(content.GetBuffer(), 0, (int)content.Length))));
                }
                else
                {
                    values.Add(new(name, DecodeField(name, content.GetBuffer().AsMemory(0, (int)content.Length), section.ContentType, encoding)));
                }
            }
        }
        catch (IOException)
        {
            // The reader's own words ("the content may have already been read by another component") misled callers.
            throw new InvalidDataException(
                $"The body ended before its closing boundary line '--{boundary}--', or does not hold the boundary '{boundary}' at all.");
        }
        return Write(values);
    }

    private static string DecodeField(string name, ReadOnlyMemory<byte> content, string? partContentType, Encoding encoding)
    {
        if (MediaTypeHeaderValue.TryParse(partContentType, out var partType) && BodyText.CharsetOf(partType) is { Length: > 0 } charset)
        {
            encoding = BodyText.Find(charset)
                ?? throw new InvalidDataException($"The field '{name}' is in charset '{charset}', which is not supported.");
        }
        return BodyText.TryDecode(new ReadOnlySequence<byte>(content), encoding, out var decoded, out var error)
            ? decoded.Text
            : throw new InvalidDataException($"The field '{name}' is {error}.");
    }

    private static JsonElement Write(List<KeyValuePair<string, object>> values)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var group in values.GroupBy(v => v.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(group.Key);
                var items = group.Select(g => g.Value).ToList();
                if (items.Count == 1)
                {
                    WriteValue(writer, items[0]);
                    continue;
                }
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    WriteValue(writer, item);
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        using var json = JsonDocument.Parse(buffer.ToArray());
        return json.RootElement.Clone();
    }

    private static void WriteValue(Utf8JsonWriter writer, object value)
    {
        if (value is UploadedFile file)
        {
            writer.WriteStartObject();
            writer.WriteString("fileName", file.FileName);
            writer.WriteString("contentType", file.ContentType);
            writer.WriteNumber("length", file.Length);
            writer.WriteString("content", file.Base64Content);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteStringValue((string)value);
        }
    }

    private sealed record UploadedFile(string FileName, string ContentType, long Length, string Base64Content);
}
