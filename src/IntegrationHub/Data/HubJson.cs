using System.Text.Json;

namespace IntegrationHub.Data;

/// <summary>
/// The rules every JSON value in the hub keeps, wherever it came from (a request body, a stored value, a script's
/// records or storage writes): it nests at most <see cref="MaxValueDepth"/> levels and its strings are valid Unicode.
/// Values are checked where they come in, so that everything that reads them later (the run engine, the API's answers,
/// System.Text.Json, Npgsql) can rely on it instead of failing halfway with a 500.
/// </summary>
internal static class HubJson
{
    /// <summary>How deep a value may nest. System.Text.Json's default of 64 is too shallow for real payloads.</summary>
    public const int MaxValueDepth = 256;

    /// <summary>
    /// How deep the hub's own reads and answers allow: a value plus what the hub wraps around it (the stored request
    /// around a body, the script's <c>data</c> array, an API answer around a stored value).
    /// </summary>
    public const int MaxDepth = MaxValueDepth + 16;

    private const int StackBufferChars = 256;

    /// <summary>
    /// How deep a script's records may nest: an array of records, each as deep as the request the script was given in
    /// <c>data</c>, so that a script that passes its data on (or a scenario without one) can always do so.
    /// </summary>
    public const int MaxRecordsDepth = MaxValueDepth + 2;

    /// <summary>For reading JSON the hub stored or made itself.</summary>
    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };

    /// <summary>For reading a value that comes in: held to <see cref="MaxValueDepth"/>.</summary>
    public static readonly JsonDocumentOptions ValueOptions = new() { MaxDepth = MaxValueDepth };

    /// <summary>
    /// JSON text the hub stored (a storage key or value, a run's result) as an element that outlives its document, so
    /// that an answer holds it as JSON, not as a string holding JSON.
    /// </summary>
    public static JsonElement ParseStored(string json)
    {
        using var document = JsonDocument.Parse(json, DocumentOptions);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// What is wrong with <paramref name="json"/> as a value, or null when it is well-formed, nests at most
    /// <paramref name="maxDepth"/> levels and holds no unpaired surrogate (an escape such as <c>\ud800</c>, which
    /// JavaScript strings may hold but no UTF-8 text can).
    /// </summary>
    public static string? FindProblem(ReadOnlySpan<byte> json, int maxDepth = MaxValueDepth)
    {
        // One level more than allowed, so that the check below, not the reader, finds a value nested too deep.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= maxDepth)
                {
                    return $"it nests deeper than {maxDepth} levels";
                }
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped && !IsValidUnicode(ref reader))
                {
                    return $"it holds a string that is not valid Unicode (an unpaired surrogate) at position {reader.TokenStartIndex + 1}";
                }
            }
            return null;
        }
        catch (JsonException ex)
        {
            return $"it is not valid JSON at position {(ex.BytePositionInLine ?? 0) + 1}";
        }
    }

    /// <summary>
    /// Whether the string token <paramref name="reader"/> is on is valid Unicode. Only an escaped string can hold an
    /// unpaired surrogate; unescaping it finds one. Short strings are unescaped into the stack, without an allocation.
    /// </summary>
    internal static bool IsValidUnicode(ref Utf8JsonReader reader)
    {
        // Unescaping never makes a string longer than its escaped bytes, so that many chars always hold it.
        var escapedLength = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        try
        {
            if (escapedLength <= StackBufferChars)
            {
                Span<char> buffer = stackalloc char[StackBufferChars];
                reader.CopyString(buffer);
            }
            else
            {
                _ = reader.GetString();
            }
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
