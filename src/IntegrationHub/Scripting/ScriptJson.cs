using System.Text;
using IntegrationHub.Data;
using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Interop;

namespace IntegrationHub.Scripting;

/// <summary>
/// Script values to and from JSON for the hub: the data a script is given, what it stores and logs, the records it
/// passes on and the values its errors show. The engine's own JSON, held to the hub's limits on the way.
/// </summary>
internal sealed class ScriptJson(Engine engine)
{
    private static readonly JsString Circular = new("[Circular]");

    // Array.isArray as the engine made it, taken before the script runs and could replace it: the hub asks it what the
    // script returned.
    private readonly JsValue _isArray = engine.Intrinsics.Array.Get("isArray");

    private JsonParser? _parser;
    private JsonSerializer? _serializer;

    // Deep enough for the data a script is given: the deepest value inside the hub's wrappers around it.
    private JsonParser Parser => _parser ??= new JsonParser(engine, HubJson.MaxDepth);
    private JsonSerializer Serializer => _serializer ??= new JsonSerializer(engine);

    /// <summary>Parses JSON text into a script value.</summary>
    public JsValue Parse(string json) => Parser.Parse(json);

    /// <summary>Whether <paramref name="value"/> is an array by the engine's own <c>Array.isArray</c>, which sees through proxies.</summary>
    public bool IsArray(JsValue value) =>
        value is ObjectInstance && TypeConverter.ToBoolean(engine.Invoke(_isArray, value));

    /// <summary>
    /// The index of the first element of the array <paramref name="records"/> with no JSON form (undefined, a hole, a
    /// function, a symbol), which JSON would pass on as <c>null</c>; null when there is none.
    /// </summary>
    public static ulong? FirstRecordWithoutJson(ObjectInstance records)
    {
        var length = TypeConverter.ToLength(records.Get("length"));
        for (var i = 0UL; i < length; i++)
        {
            var record = records.Get(i);
            if (record.IsUndefined() || record.IsSymbol() || record is Function)
            {
                return i;
            }
        }
        return null;
    }

    /// <summary>
    /// Writes a script value as JSON into <paramref name="buffer"/>, no more than its limit; false when the value has no
    /// JSON form (undefined, a function, a symbol).
    /// </summary>
    /// <param name="cut">Past the limit, write what fits (a log line's start) instead of throwing.</param>
    /// <exception cref="OutputTooLargeException">The JSON is larger than the buffer's limit.</exception>
    /// <param name="markCycles">Write a member that leads back to an object on its own path as <c>"[Circular]"</c>
    /// (as Node.js logs it) instead of failing: for the log, never for what is stored or passed on.</param>
    /// <param name="finiteNumbersOnly">Throw a TypeError for NaN or Infinity anywhere in the value, which JSON writes as null.</param>
    public bool TryWrite(JsValue value, CappedBufferWriter buffer, bool cut = false, bool markCycles = false, bool finiteNumbersOnly = false)
    {
        // Jint builds the whole text before it writes any of it, so the buffer's limit alone would come too late: a
        // replacer that returns each value as it is counts the characters of the strings and names on the way, which
        // the JSON holds at least as many bytes of, and ends the walk once they pass the limit.
        var budget = buffer.LimitBytes;
        // The objects from the root down to the one being written; a replacer is called with the member's holder as this.
        var path = markCycles ? new List<ObjectInstance>() : null;
        var replacer = new ClrFunction(engine, "budget", (holder, arguments) =>
        {
            var (key, value) = (arguments.At(0), arguments.At(1));
            if (finiteNumbersOnly && value.IsNumber() && !double.IsFinite(value.AsNumber()))
            {
                throw new NonFiniteNumberException(value);
            }
            if (path is not null && value is ObjectInstance member)
            {
                var holderAt = path.FindLastIndex(o => ReferenceEquals(o, holder));
                path.RemoveRange(holderAt + 1, path.Count - holderAt - 1);
                if (path.Exists(o => ReferenceEquals(o, member)))
                {
                    return Circular;
                }
                path.Add(member);
            }
            var valueLength = value.IsString() ? value.AsString().Length : 0;
            budget -= (key.IsString() ? key.AsString().Length : 0) + valueLength;
            if (budget >= 0)
            {
                return value;
            }
            // Cut: the string that passes the limit keeps its start, and what follows it is left out.
            var left = budget + valueLength;
            return !cut ? throw new OutputTooLargeException(buffer.LimitBytes)
                : left > 0 ? new JsString(value.AsString()[..(int)left])
                : JsValue.Undefined;
        });
        return Serializer.Serialize(value, replacer, JsValue.Undefined, buffer);
    }

    /// <summary>
    /// console.log's way, at most about <paramref name="maxChars"/> characters of it: strings as they are, errors as
    /// "Name: message", other values as JSON.
    /// </summary>
    public string Format(JsValue value, int maxChars)
    {
        if (value.IsString())
        {
            var text = value.AsString();
            return text.Length > maxChars ? text[..maxChars] : text;
        }
        if (value.IsUndefined() || value.IsSymbol() || value is Function)
        {
            return value.ToString();
        }
        if (value is JsError)
        {
            try
            {
                return TypeConverter.ToString(value);
            }
            catch (JavaScriptException)
            {
                // Its name or message is a getter, or its toString, that throws: logging must never fail the run.
                return "[an error that cannot be shown]";
            }
        }
        return FormatAsJson(value, maxChars, markCycles: false);
    }

    private string FormatAsJson(JsValue value, int maxChars, bool markCycles)
    {
        // A character takes at most four bytes of UTF-8.
        var buffer = new CappedBufferWriter(4L * maxChars);
        try
        {
            return TryWrite(value, buffer, cut: true, markCycles) ? Encoding.UTF8.GetString(buffer.WrittenSpan) : value.ToString();
        }
        catch (OutputTooLargeException)
        {
            // Cut, its start still filled the buffer.
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        catch (JavaScriptException) when (value is JsBigInt)
        {
            return $"{value}n";
        }
        catch (JavaScriptException) when (!markCycles)
        {
            // A cycle, most likely: its JSON with the way back marked.
            return FormatAsJson(value, maxChars, markCycles: true);
        }
        catch (JavaScriptException)
        {
            // No JSON form even so (a BigInt inside, a toJSON that throws): logging must never fail the run.
            return value.ToString();
        }
    }
}

/// <summary>A storage key held NaN or Infinity, which have no JSON form of their own.</summary>
internal sealed class NonFiniteNumberException(JsValue number) : Exception("A key holds a number with no JSON form.")
{
    public JsValue Number { get; } = number;
}
