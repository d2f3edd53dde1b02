using System.Text;
using System.Text.Json;
using IntegrationHub.Data;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;

namespace IntegrationHub.Scripting;

/// <summary>
/// The records a script passes on, judged by their JSON (what the targets get): a JSON array is the records, any
/// other value one record. A <c>toJSON</c> or a proxy may make that JSON differ from the value's own shape.
/// </summary>
internal static class ScriptRecords
{
    /// <summary>The run's result for what the script returned (or left in <c>data</c>): its records, or why it has none.</summary>
    /// <param name="maxBytes">The records' JSON may take no more than the memory the script may allocate.</param>
    public static ScriptResult From(ScriptLog log, ScriptJson json, JsValue result, long maxBytes)
    {
        if (json.IsArray(result) && ScriptJson.FirstRecordWithoutJson((ObjectInstance)result) is { } hole)
        {
            return ScriptResult.Failed(log, new ScriptError(ScriptErrorKind.InvalidData,
                $"The script's records hold undefined, a function or a symbol at index {hole}, which has no JSON form (a callback of map that returned nothing?); leave such entries out, with filter for instance.",
                null, null));
        }

        var buffer = new CappedBufferWriter(maxBytes);
        bool written;
        try
        {
            written = json.TryWrite(result, buffer);
        }
        catch (OutputTooLargeException)
        {
            return ScriptResult.Failed(log, new ScriptError(ScriptErrorKind.MemoryLimit,
                $"The script's records take more than {maxBytes:N0} bytes as JSON, the memory a script may use (Scripting:MemoryLimitBytes).", null, null));
        }
        catch (JavaScriptException ex)
        {
            // A BigInt, a cycle, a toJSON that throws: the script itself had run to its end.
            return ScriptResult.Failed(log, new ScriptError(ScriptErrorKind.InvalidData,
                $"The script's records cannot be turned into JSON: {ScriptErrors.ErrorText(ex, json)}.", null, null));
        }

        if (!written)
        {
            return ScriptResult.Failed(log, new ScriptError(ScriptErrorKind.InvalidData, result.IsUndefined()
                ? "The script returned nothing and left data undefined; return records, an array of records, or leave data holding them."
                : $"The script returned {(result.IsSymbol() ? "a symbol" : "a function")}, which has no JSON form; return records, an array of records, or nothing.",
                null, null));
        }
        if (HubJson.FindProblem(buffer.WrittenSpan, HubJson.MaxRecordsDepth) is { } problem)
        {
            return ScriptResult.Failed(log, new ScriptError(ScriptErrorKind.InvalidData, $"The script's records cannot be passed on: {problem}.", null, null));
        }

        var records = Encoding.UTF8.GetString(buffer.WrittenSpan);
        return ArrayLength(buffer.WrittenSpan) is { } count
            ? new ScriptResult(records, count, log.Lines, null)
            : new ScriptResult($"[{records}]", 1, log.Lines, null);
    }

    /// <summary>How many elements the JSON <paramref name="json"/> holds when it is an array; null for any other value.</summary>
    private static int? ArrayLength(ReadOnlySpan<byte> json)
    {
        // The records were held to their depth already; the reader's own default (64) is lower.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = HubJson.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return null;
        }
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            count++;
            reader.Skip();
        }
        return count;
    }
}
