using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Xml;
using IntegrationHub.Hosting;
using IntegrationHub.Runs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.ExternalApi;

/// <summary>
/// What reading a trigger's body gave: the run payload (a serialized <see cref="TriggerRequest"/>), or the problem to
/// answer; and the request's <see cref="IdempotencyScope.Fingerprint"/> when it was asked for.
/// </summary>
internal readonly record struct TriggerBody(string? Payload, ProblemHttpResult? Problem, byte[]? Fingerprint = null);

/// <summary>
/// Reads a <c>POST /ExternalData/Accept</c> body once, within the size limit, and turns it into the stored
/// <see cref="TriggerRequest"/>. Text is decoded by the Content-Type's charset (UTF-8 when there is none), strictly.
/// UTF-8 JSON is parsed straight from Kestrel's buffers; XML and forms, which are rarer, are copied first.
/// </summary>
internal static class TriggerBodyReader
{
    // Credentials and session cookies must never end up in a run's stored payload or a script's hands.
    private static readonly HashSet<string> HiddenHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.Authorization, HeaderNames.ProxyAuthorization, HeaderNames.Cookie,
    };

    /// <summary>What a body-less POST carries as <c>Body</c>.</summary>
    private static readonly JsonElement NoBody = JsonSerializer.SerializeToElement<object?>(null);

    /// <param name="fingerprint">Also take the request's fingerprint (an Idempotency-Key without credentials).</param>
    public static async Task<TriggerBody> ReadAsync(
        HttpRequest request, long maxBytes, DateTimeOffset receivedAt, bool fingerprint, CancellationToken cancellationToken)
    {
        var contentTypeHeader = request.ContentType;
        MediaTypeHeaderValue? mediaType = null;
        var known = string.IsNullOrEmpty(contentTypeHeader) ? BodyKind.None
            : MediaTypeHeaderValue.TryParse(contentTypeHeader, out mediaType) ? KindOf(mediaType.MediaType.Value) : null;
        if (known is not { } kind)
        {
            return new(null, ExternalApiProblems.UnsupportedContentType(contentTypeHeader));
        }

        // Null when there is no charset parameter: XML then looks for the encoding in the document, the rest use UTF-8.
        Encoding? charset = null;
        if (BodyText.CharsetOf(mediaType) is { Length: > 0 } charsetName)
        {
            if ((charset = BodyText.Find(charsetName)) is null)
            {
                return new(null, BodyTextProblems.UnsupportedCharset(charsetName.Value!));
            }
            // A urlencoded form is ASCII with %-escaped bytes (WHATWG URL; browsers send a UTF-16 page's forms as UTF-8).
            // In UTF-16 or UTF-32 no escape was decoded ("%" and "C" are two bytes each there), and what their bytes
            // would mean is defined nowhere: refused, rather than stored as a guess.
            if (kind == BodyKind.UrlEncodedForm && !BodyText.IsAsciiCompatible(charset))
            {
                return new(null, ExternalApiProblems.UnsupportedFormCharset(charsetName.Value!));
            }
        }

        if (request.ContentLength > maxBytes)
        {
            return new(null, ExternalApiProblems.BodyTooLarge(maxBytes));
        }
        // Kestrel's count of the bytes on the wire; ours below counts them decoded.
        RequestBodyLimit.Set(request.HttpContext, maxBytes);

        var reader = request.BodyReader;
        ReadResult read;
        try
        {
            while (true)
            {
                read = await reader.ReadAsync(cancellationToken);
                // Counted on the stream, so chunked bodies without Content-Length are held to the limit too.
                if (read.Buffer.Length > maxBytes)
                {
                    reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                    return new(null, ExternalApiProblems.BodyTooLarge(maxBytes));
                }
                if (read.IsCompleted)
                {
                    break;
                }
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new(null, ExternalApiProblems.BodyTooLarge(maxBytes));
        }

        try
        {
            var body = read.Buffer;
            if (kind == BodyKind.None && body.Length > 0)
            {
                return new(null, ExternalApiProblems.UnsupportedContentType(contentTypeHeader));
            }
            var parsed = await ParseAsync(request, kind, mediaType, charset, contentTypeHeader ?? "", body, receivedAt, cancellationToken);
            return fingerprint && parsed.Problem is null ? parsed with { Fingerprint = IdempotencyScope.Fingerprint(request, body) } : parsed;
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    private static async Task<TriggerBody> ParseAsync(
        HttpRequest request, BodyKind kind, MediaTypeHeaderValue? mediaType, Encoding? charset, string contentType,
        ReadOnlySequence<byte> body, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        DecodedBody text;
        string error;
        switch (kind)
        {
            case BodyKind.None:
                return new(Serialize(request, NoBody.WriteTo, "", contentType, body.Length, receivedAt), null);
            case BodyKind.Json:
                if (!BodyText.TryDecode(body, charset ?? BodyText.Utf8, out text, out error))
                {
                    return new(null, BodyTextProblems.InvalidText(error));
                }
                // The hot path: UTF-8 is checked with a forward-only reader straight from Kestrel's buffers and copied
                // into the payload as it came, instead of building a document only to write it out again.
                var json = text.Encoding.CodePage == BodyText.Utf8CodePage ? text.Bytes : new(Encoding.UTF8.GetBytes(text.Text));
                return JsonBody.Check(json) is { } malformed
                    ? new(null, ExternalApiProblems.BadRequest("Malformed JSON", malformed))
                    : new(Serialize(request, writer => writer.WriteRawValue(json, skipInputValidation: true), text.Text, contentType, body.Length, receivedAt), null);
            case BodyKind.Xml:
                if (XmlBody.EncodingOf(body, charset, out var declared) is not { } xmlEncoding)
                {
                    return new(null, BodyTextProblems.UnsupportedCharset(declared!));
                }
                if (!BodyText.TryDecode(body, xmlEncoding, out text, out error))
                {
                    return new(null, BodyTextProblems.InvalidText(error));
                }
                try
                {
                    var root = XmlBody.Parse(text.Text);
                    return new(Serialize(request, writer => XmlBody.Write(writer, root), text.Text, contentType, body.Length, receivedAt), null);
                }
                catch (XmlException ex)
                {
                    // Line 0 is the reader's "unknown" (a document without a root element): no place to name then.
                    return new(null, ExternalApiProblems.BadRequest(
                        "Malformed XML",
                        ex.LineNumber > 0
                            ? $"The body is not accepted XML at line {ex.LineNumber}, position {ex.LinePosition}: {ex.Message}"
                            : $"The body is not accepted XML: {ex.Message}"));
                }
            case BodyKind.UrlEncodedForm:
                if (!BodyText.TryDecode(body, charset ?? BodyText.Utf8, out text, out error))
                {
                    return new(null, BodyTextProblems.InvalidText(error));
                }
                // curl -d '{"id":42}' sends JSON as a form: the script would get one field named after the whole text.
                if (JsonBody.FirstByte(body) is (byte)'{' or (byte)'[' && JsonBody.Check(body) is null)
                {
                    return new(null, ExternalApiProblems.BadRequest("JSON sent as a form",
                        "The body is JSON, but its Content-Type says a form (application/x-www-form-urlencoded, which curl -d sends unless told otherwise): send Content-Type: application/json."));
                }
                try
                {
                    return new(Serialize(request, FormBody.ParseUrlEncoded(text.Text, text.Encoding).WriteTo, text.Text, contentType, body.Length, receivedAt), null);
                }
                catch (InvalidDataException ex)
                {
                    return new(null, ExternalApiProblems.BadRequest("Malformed form", ex.Message));
                }
            case BodyKind.MultipartForm:
                try
                {
                    var parsed = await FormBody.ParseMultipartAsync(body.ToArray(), mediaType!, charset ?? BodyText.Utf8, cancellationToken);
                    // Uploaded files are bytes, not text: RawBody shows them as UTF-8 with U+FFFD where that fails, so a
                    // binary upload is still accepted; Body holds each file's exact bytes in base64.
                    return new(Serialize(request, parsed.WriteTo, Encoding.UTF8.GetString(body), contentType, body.Length, receivedAt), null);
                }
                catch (InvalidDataException ex)
                {
                    return new(null, ExternalApiProblems.BadRequest("Malformed multipart form", ex.Message));
                }
            default:
                throw new InvalidOperationException($"Unexpected body kind {kind}.");
        }
    }

    /// <summary>
    /// Writes the <see cref="TriggerRequest"/> by hand, property for property as <see cref="TriggerRequest.SerializerOptions"/>
    /// would (a test reads it back with them): no dictionaries to build, no serializer pipeline per trigger.
    /// </summary>
    /// <remarks>
    /// The headers describe the body as the script gets it: a coded body was decoded before it was read, and the request
    /// decompression took its Content-Encoding away, so Content-Length, which counted the coded bytes, is set to the
    /// decoded ones (<paramref name="bodyLength"/>), and a Content-Encoding left (identity, no coding) is left out.
    /// </remarks>
    private static string Serialize(
        HttpRequest request, Action<Utf8JsonWriter> writeBody, string rawBody, string contentType, long bodyLength, DateTimeOffset receivedAt)
    {
        var (buffer, writer) = PayloadWriter.Rent();
        writer.WriteStartObject();
        writer.WritePropertyName(nameof(TriggerRequest.Body));
        writeBody(writer);
        writer.WriteString(nameof(TriggerRequest.RawBody), rawBody);
        writer.WriteString(nameof(TriggerRequest.ContentType), contentType);
        writer.WriteStartObject(nameof(TriggerRequest.Headers));
        foreach (var (name, value) in request.Headers)
        {
            if (HiddenHeaders.Contains(name) || name.Equals(HeaderNames.ContentEncoding, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase))
            {
                writer.WriteString(name, bodyLength.ToString(CultureInfo.InvariantCulture));
                continue;
            }
            writer.WriteString(name, value.ToString());
        }
        writer.WriteEndObject();
        writer.WriteStartObject(nameof(TriggerRequest.Query));
        foreach (var (name, values) in request.Query)
        {
            // A parameter sent several times (?a=1&a=2) holds an array, as a repeated form field does: joined, it was
            // "1,2", which ?a=1,2 is too.
            if (values.Count > 1)
            {
                writer.WriteStartArray(name);
                foreach (var value in values)
                {
                    writer.WriteStringValue(value);
                }
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteString(name, values.ToString());
            }
        }
        writer.WriteEndObject();
        writer.WriteString(nameof(TriggerRequest.ReceivedAt), receivedAt);
        writer.WriteEndObject();
        writer.Flush();
        var payload = Encoding.UTF8.GetString(buffer.WrittenSpan);
        PayloadWriter.Return(buffer);
        return payload;
    }

    /// <summary>
    /// The payload's buffer and JSON writer, kept per thread: a payload is written start to end on one thread
    /// (nothing is awaited), and a new buffer per trigger was a tenth of the trigger path's allocations. A buffer grown
    /// past <see cref="MaxKeptBytes"/> by a large body is let go rather than kept for the thread's lifetime.
    /// </summary>
    private static class PayloadWriter
    {
        private const int MaxKeptBytes = 64 * 1024;

        [ThreadStatic]
        private static ArrayBufferWriter<byte>? _buffer;

        [ThreadStatic]
        private static Utf8JsonWriter? _writer;

        public static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer) Rent()
        {
            var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
            buffer.ResetWrittenCount();
            var writer = _writer ??= new Utf8JsonWriter(buffer);
            // Also clears what a body that failed halfway left in the writer.
            writer.Reset(buffer);
            return (buffer, writer);
        }

        public static void Return(ArrayBufferWriter<byte> buffer)
        {
            if (buffer.Capacity > MaxKeptBytes)
            {
                _buffer = null;
                _writer = null;
            }
        }
    }

    /// <summary>The kind of body a media type names; null for one the Accept endpoint does not take.</summary>
    private static BodyKind? KindOf(string? mediaType) => mediaType?.ToLowerInvariant() switch
    {
        "application/json" => BodyKind.Json,
        "application/xml" or "text/xml" => BodyKind.Xml,
        "application/x-www-form-urlencoded" => BodyKind.UrlEncodedForm,
        "multipart/form-data" => BodyKind.MultipartForm,
        _ => null,
    };

    private enum BodyKind
    {
        /// <summary>No content type: only an empty body is accepted, and the script sees <c>Body</c> as null.</summary>
        None,
        Json,
        Xml,
        UrlEncodedForm,
        MultipartForm,
    }
}
