using System.Text;
using System.Text.Json;
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
    public static JsonElement ParseUrlEncoded(string body)
    {
        var fields = new FormReader(body).ReadForm();
        var values = new List<KeyValuePair<string, object>>(fields.Count);
        foreach (var (name, value) in fields)
        {
            foreach (var item in value)
            {
                values.Add(new(name, item ?? ""));
            }
        }
        return Write(values);
    }

    /// <summary>Throws <see cref="InvalidDataException"/> or <see cref="IOException"/> when the multipart body is malformed.</summary>
    public static async Task<JsonElement> ParseMultipartAsync(byte[] body, MediaTypeHeaderValue contentType, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary))
        {
            throw new InvalidDataException("The multipart/form-data content type has no boundary.");
        }

        var values = new List<KeyValuePair<string, object>>();
        var reader = new MultipartReader(boundary, new MemoryStream(body, writable: false));
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
                values.Add(new(name, Encoding.UTF8.GetString(content.GetBuffer(), 0, (int)content.Length)));
            }
        }
        return Write(values);
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
