using System.Buffers;
using System.Text.Json;
using IntegrationHub.Data;

namespace IntegrationHub.ExternalApi;

/// <summary>Checks a JSON body in one forward-only pass, without building a document: the accept path's hot path.</summary>
internal static class JsonBody
{
    /// <summary>How deep a JSON body may nest; the stored request adds one level (<c>TriggerRequest.ReadContentType</c>).</summary>
    public const int MaxDepth = HubJson.MaxValueDepth;

    /// <summary>Null when <paramref name="json"/> (UTF-8, valid as such) is exactly one JSON value; else what is wrong and where.</summary>
    public static string? Check(ReadOnlySequence<byte> json)
    {
        // One level more than allowed, so that the check below, not the reader, finds a body nested too deep and can say
        // so: the reader's own error gave only a position, as if the JSON were malformed there.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth >= MaxDepth && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    var (line, position) = LineAndPosition(json, reader.TokenStartIndex);
                    return $"The body nests deeper than {MaxDepth} levels (the most a JSON body may) at line {line}, position {position}.";
                }
                // The bytes are valid UTF-8, so only an escape can make a string invalid Unicode: "\ud800" alone. Stored,
                // such a string breaks every later read of the run; escapes are rare enough that only they pay for the check.
                if (reader.ValueIsEscaped && !HubJson.IsValidUnicode(ref reader))
                {
                    var (line, position) = LineAndPosition(json, reader.TokenStartIndex);
                    return $"The body is not valid JSON at line {line}, position {position}: "
                        + "strings must be valid Unicode, and this one has an unpaired surrogate escape.";
                }
            }
            if (reader.BytesConsumed == 0)
            {
                throw new JsonException("The body is empty.", null, 0, 0);
            }
            return null;
        }
        catch (JsonException ex)
        {
            var where = $"The body is not valid JSON at line {(ex.LineNumber ?? 0) + 1}, position {(ex.BytePositionInLine ?? 0) + 1}.";
            // XML sent with the JSON content type is a mistake a caller makes, not malformed JSON to hunt for.
            return FirstByte(json) == '<' ? where + " It starts with '<': if it is XML, send Content-Type: application/xml." : where;
        }
    }

    /// <summary>The first byte after JSON's white space; null when there is none.</summary>
    public static byte? FirstByte(ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
        {
            var rest = segment.Span.TrimStart(" \t\r\n"u8);
            if (!rest.IsEmpty)
            {
                return rest[0];
            }
        }
        return null;
    }

    /// <summary>Line and position (from 1, in bytes, as <see cref="JsonException"/> counts them) of <paramref name="offset"/>.</summary>
    private static (long Line, long Position) LineAndPosition(ReadOnlySequence<byte> json, long offset)
    {
        long line = 1, lineStart = 0, index = 0;
        foreach (var segment in json.Slice(0, offset))
        {
            foreach (var b in segment.Span)
            {
                index++;
                if (b == (byte)'\n')
                {
                    line++;
                    lineStart = index;
                }
            }
        }
        return (line, offset - lineStart + 1);
    }
}
