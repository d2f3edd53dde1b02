using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using IntegrationHub.Data;
using Jint.Native;
using Jint.Runtime;

namespace IntegrationHub.Storage;

/// <summary>
/// Storage keys are JSON values compared canonically: object properties sorted by name (ordinal),
/// no white space, strings re-escaped the one way System.Text.Json writes them, and numbers written
/// as JavaScript writes them (<c>42</c>, <c>42.0</c> and <c>4.2e1</c> are one key, <c>1e21</c> is
/// <c>1e+21</c>), because a script's keys are JavaScript numbers. Like them, integers beyond 2^53 lose
/// precision: ids that large belong in strings.
/// </summary>
internal static class StorageKey
{
    /// <summary>
    /// The longest key, as UTF-8 JSON in its canonical form. PostgreSQL's unique index on (scenario, key) takes entries of
    /// at most 2,704 bytes, and a longer key failed the whole write; a key also has to fit in a URL
    /// (<c>GetCacheData?keyJson=</c>, escaped), so the bound is well below that, and the same on SQLite.
    /// </summary>
    public const int MaxBytes = 1024;

    /// <summary>Why <paramref name="canonicalKey"/> cannot be stored (too long), or null when it can.</summary>
    public static string? StoreProblem(string canonicalKey)
    {
        // A character is at most 3 UTF-8 bytes, so only a long key is worth counting.
        if (canonicalKey.Length <= MaxBytes / 3)
        {
            return null;
        }
        var bytes = Encoding.UTF8.GetByteCount(canonicalKey);
        // Counted as stored: the index's bound is on those bytes. Saying so explains why 180 × "é" (362 bytes as sent) is over.
        return bytes <= MaxBytes ? null
            : $"A storage key may hold at most {MaxBytes:N0} bytes of JSON as it is stored, in canonical form, where every "
              + $"character outside ASCII and each of < > & ' + is written as a 6-byte \\uXXXX escape; this one has {bytes:N0}.";
    }

    /// <summary>
    /// <paramref name="text"/> as it appears inside a canonical key, to search keys by what a user types: the canonical
    /// form escapes characters outside ASCII and &lt; &gt; &amp; ' + (System.Text.Json's default encoder), so "café" is
    /// stored as <c>caf\u00E9</c> and was never found. Quotes and backslashes stay as typed: they are the key's structure
    /// (<c>"id"</c>) as often as its content. Null for text no key can hold (an unpaired surrogate).
    /// </summary>
    public static string? AsStored(string text)
    {
        var stored = new StringBuilder(text.Length);
        var start = 0;
        for (var at = text.IndexOfAny(['"', '\\']); ; at = text.IndexOfAny(['"', '\\'], start))
        {
            var segment = text[start..(at < 0 ? text.Length : at)];
            if (segment.Length > 0)
            {
                if (!IsValidUtf16(segment))
                {
                    return null;
                }
                stored.Append(JsonEncodedText.Encode(segment).Value);
            }
            if (at < 0)
            {
                return stored.ToString();
            }
            stored.Append(text[at]);
            start = at + 1;
        }
    }

    private static bool IsValidUtf16(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(text, out _, out var used) != OperationStatus.Done)
            {
                return false;
            }
            text = text[used..];
        }
        return true;
    }

    /// <summary>Turns a key given as JSON text into its canonical form.</summary>
    /// <param name="error">Where the text stops being JSON, for a 400 that says where.</param>
    public static bool TryCanonicalize(string keyJson, [NotNullWhen(true)] out string? canonical, [NotNullWhen(false)] out string? error)
    {
        canonical = null;
        var utf8 = Encoding.UTF8.GetBytes(keyJson);
        try
        {
            using var document = JsonDocument.Parse(utf8, HubJson.DocumentOptions);
            if (HubJson.FindProblem(utf8) is { } problem)
            {
                error = $"keyJson cannot be a key: {problem}.";
                return false;
            }
            if (NumberOutOfRange(document.RootElement) is { } huge)
            {
                // JavaScript reads it as Infinity, which JSON cannot write: no script could name this key.
                error = $"keyJson cannot be a key: the number {huge} is beyond what a JavaScript number holds.";
                return false;
            }
            canonical = Canonicalize(document.RootElement);
            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            // System.Text.Json's own words ("'not json' is an invalid JSON literal. Expected the literal 'null'. LineNumber:
            // ...") describe its reader, not the key; what the caller most often got wrong is a text key without quotes.
            var where = ex.LineNumber is > 0 ? $"line {ex.LineNumber + 1}, position {(ex.BytePositionInLine ?? 0) + 1}" : $"position {(ex.BytePositionInLine ?? 0) + 1}";
            error = $"keyJson is not valid JSON (it breaks at {where}); a text key is written in double quotes, such as \"order-1\".";
            return false;
        }
    }

    /// <summary>
    /// The canonical text of <paramref name="key"/>, a value that came in as data (a record's key fields), or why no
    /// entry may have it: what <see cref="TryCanonicalize(string, out string?, out string?)"/> refuses for the API, and
    /// <c>storage.set</c> for a script. A key stored past these checks could never be read, replaced or deleted by key.
    /// </summary>
    /// <param name="problem">Why it cannot be a key, such as "the number 1e400 is beyond what a JavaScript number holds".</param>
    public static bool TryCanonicalize(JsonElement key, [NotNullWhen(true)] out string? canonical, [NotNullWhen(false)] out string? problem)
    {
        canonical = null;
        problem = HubJson.FindProblem(JsonMarshal.GetRawUtf8Value(key))
            ?? (NumberOutOfRange(key) is { } huge ? $"the number {huge} is beyond what a JavaScript number holds" : null);
        if (problem is not null)
        {
            return false;
        }
        canonical = Canonicalize(key);
        return true;
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

    /// <summary>The first number in <paramref name="element"/> past a double's range (such as <c>1e400</c>), or null.</summary>
    private static string? NumberOutOfRange(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number => element.TryGetDouble(out var number) && double.IsFinite(number) ? null : element.GetRawText(),
        JsonValueKind.Array => element.EnumerateArray().Select(NumberOutOfRange).FirstOrDefault(n => n is not null),
        JsonValueKind.Object => element.EnumerateObject().Select(p => NumberOutOfRange(p.Value)).FirstOrDefault(n => n is not null),
        _ => null,
    };

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
            case JsonValueKind.Number when element.TryGetDouble(out var number) && double.IsFinite(number):
                // Jint's own number-to-text, so that a key from the API matches the same key written by a script.
                writer.WriteRawValue(TypeConverter.ToString(JsNumber.Create(number)), skipInputValidation: true);
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
