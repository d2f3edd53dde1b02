using System.Text;
using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Storage;
using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Interop;
using JsonDocument = System.Text.Json.JsonDocument;

namespace IntegrationHub.Scripting;

/// <summary>
/// The globals one script execution sees besides <c>data</c>: <c>storage</c>, <c>log</c>, <c>console</c> and
/// <c>run</c>. They are plain JavaScript functions over JSON values; nothing of .NET is reachable through them.
/// </summary>
/// <remarks>
/// Writes go to the run's pending <see cref="StorageChanges"/> and cost no database round trip. Reads of keys the run
/// did not change go to the database: Jint calls host functions synchronously, and <see cref="ScenarioStorage"/> is
/// asynchronous, so <c>storage.get</c> blocks this thread on the async call. That is sound here: the hub has no SynchronizationContext to deadlock on, a
/// script already holds its thread for its whole execution (Jint cannot yield mid-script), and the wait takes the
/// run's token, so a timeout or shutdown also ends a pending storage call. The alternatives are worse: making scripts
/// write <c>await storage.get(k)</c> breaks the plain API users expect, and a second, synchronous storage path would
/// duplicate the SQL that keeps both databases in step.
/// </remarks>
internal sealed class ScriptHost(
    Engine engine,
    ScriptJson json,
    ScriptInvocation invocation,
    ScenarioStorage storage,
    ScriptLog log,
    TimeProvider time,
    CancellationToken cancellationToken)
{
    public void Install()
    {
        // Atomics.wait blocks the script's thread in .NET, where neither the timeout nor a cancel reaches it; a script
        // runs alone on its engine, so shared memory has no use here anyway.
        engine.Global.Delete("Atomics");
        engine.Global.Delete("SharedArrayBuffer");

        var storageObject = new JsObject(engine);
        storageObject.Set("get", Function("get", StorageGet, 1));
        storageObject.Set("set", Function("set", StorageSet, 3));
        storageObject.Set("delete", Function("delete", StorageDelete, 1));
        engine.SetValue("storage", storageObject);

        var logObject = new JsObject(engine);
        logObject.Set("info", Function("info", Writer(RunLogLevels.Info), 0));
        logObject.Set("warn", Function("warn", Writer(RunLogLevels.Warn), 0));
        logObject.Set("error", Function("error", Writer(RunLogLevels.Error), 0));
        engine.SetValue("log", logObject);

        var consoleObject = new JsObject(engine);
        consoleObject.Set("log", Function("log", Writer(RunLogLevels.Info), 0));
        consoleObject.Set("info", Function("info", Writer(RunLogLevels.Info), 0));
        consoleObject.Set("warn", Function("warn", Writer(RunLogLevels.Warn), 0));
        consoleObject.Set("error", Function("error", Writer(RunLogLevels.Error), 0));
        engine.SetValue("console", consoleObject);

        var runObject = new JsObject(engine);
        runObject.Set("id", invocation.RunId.ToString());
        runObject.Set("trigger", invocation.Trigger.ToString());
        runObject.Set("scenarioId", invocation.ScenarioId.ToString());
        engine.SetValue("run", runObject);
    }

    private ClrFunction Function(string name, Func<JsValue, JsValue[], JsValue> body, int length) =>
        new(engine, name, body, length);

    private JsValue StorageGet(JsValue thisObject, JsValue[] arguments)
    {
        if (CanonicalKey("storage.get", Argument(arguments, 0), forWrite: false) is not { } key)
        {
            return JsValue.Undefined;
        }
        var stored = invocation.Storage.TryGet(key, time.GetUtcNow(), out var pending)
            ? pending
            : Wait(storage.GetAsync(invocation.ScenarioId, key, cancellationToken), "storage.get");
        // Absent reads as undefined, so a stored null stays distinguishable from no entry.
        return stored is null ? JsValue.Undefined : json.Parse(stored);
    }

    private JsValue StorageSet(JsValue thisObject, JsValue[] arguments)
    {
        var key = CanonicalKey("storage.set", Argument(arguments, 0), forWrite: true)
            ?? throw new JavaScriptException(engine.Intrinsics.TypeError, $"storage.set: the key is longer than a key may be ({StorageKey.MaxBytes:N0} bytes of JSON).");
        if (StorageKey.StoreProblem(key) is { } tooLong)
        {
            // Canonical, it may still be over the bound, counted as stored: refused as every other key, not as a limit.
            throw new JavaScriptException(engine.Intrinsics.TypeError, $"storage.set: {tooLong}");
        }
        var value = Argument(arguments, 1);
        var buffer = new CappedBufferWriter(invocation.Storage.MaxValueBytes);
        bool written;
        try
        {
            written = json.TryWrite(value, buffer);
        }
        catch (OutputTooLargeException ex)
        {
            throw new JavaScriptException(engine.Intrinsics.TypeError,
                $"storage.set: a stored value may hold at most {ex.LimitBytes:N0} bytes of JSON (Storage:MaxValueBytes); this one has more.");
        }
        if (!written)
        {
            throw new JavaScriptException(engine.Intrinsics.TypeError, $"storage.set: the value must be a JSON value, not {Describe(value)}.");
        }
        if (HubJson.FindProblem(buffer.WrittenSpan) is { } problem)
        {
            throw new JavaScriptException(engine.Intrinsics.TypeError, $"storage.set: the value cannot be stored: {problem}.");
        }

        var expiresAt = time.GetUtcNow() + TimeToLive(Argument(arguments, 2));
        Change(() => invocation.Storage.Set(key, Encoding.UTF8.GetString(buffer.WrittenSpan), expiresAt));
        return JsValue.Undefined;
    }

    private JsValue StorageDelete(JsValue thisObject, JsValue[] arguments)
    {
        if (CanonicalKey("storage.delete", Argument(arguments, 0), forWrite: false) is not { } key)
        {
            return JsBoolean.False;
        }
        var existed = invocation.Storage.TryGet(key, time.GetUtcNow(), out var pending)
            ? pending is not null
            : Wait(storage.GetAsync(invocation.ScenarioId, key, cancellationToken), "storage.delete") is not null;
        if (!existed)
        {
            // Nothing to delete: not a change, so it does not count against the run's changes.
            return JsBoolean.False;
        }
        Change(() => invocation.Storage.Delete(key));
        return JsBoolean.True;
    }

    private void Change(Action change)
    {
        try
        {
            change();
        }
        catch (StorageChangeLimitException ex)
        {
            throw new JavaScriptException(engine.Intrinsics.Error, ex.Message);
        }
    }

    private Func<JsValue, JsValue[], JsValue> Writer(string level) => (_, arguments) =>
    {
        // Built no longer than the log keeps a line (it cuts the rest): written whole, a value can take gigabytes.
        var limit = log.MaxLineLength + 1;
        var line = new StringBuilder();
        for (var i = 0; i < arguments.Length && line.Length < limit; i++)
        {
            if (i > 0)
            {
                line.Append(' ');
            }
            line.Append(json.Format(arguments[i], limit - line.Length));
        }
        log.Write(level, line.ToString());
        return JsValue.Undefined;
    };

    /// <summary>
    /// The key's canonical JSON; null for a key no entry can have (far too long, nested too deep, not valid Unicode),
    /// which a read or a delete finds nothing under and a write refuses.
    /// </summary>
    private string? CanonicalKey(string function, JsValue key, bool forWrite)
    {
        // Canonical JSON is no longer than a script's own (JavaScript writes numbers canonically already), so a key
        // whose JSON passes this is too long to be stored however it is written.
        var buffer = new CappedBufferWriter(4L * StorageKey.MaxBytes);
        try
        {
            if (!json.TryWrite(key, buffer, finiteNumbersOnly: true))
            {
                throw new JavaScriptException(engine.Intrinsics.TypeError, $"{function}: the key must be a JSON value, not {Describe(key)}.");
            }
        }
        catch (OutputTooLargeException)
        {
            return null;
        }
        catch (NonFiniteNumberException ex)
        {
            // JSON writes NaN and Infinity as null: every failed parseInt would share the key null, [NaN] the key [null].
            throw new JavaScriptException(engine.Intrinsics.TypeError, key.IsNumber()
                ? $"{function}: the key must be a JSON value, not {Describe(ex.Number)}."
                : $"{function}: the key must be a JSON value, and it holds {Describe(ex.Number)}, which JSON would write as null.");
        }
        if (HubJson.FindProblem(buffer.WrittenSpan) is { } problem)
        {
            return forWrite ? throw new JavaScriptException(engine.Intrinsics.TypeError, $"{function}: the key cannot be used: {problem}.") : null;
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory, HubJson.ValueOptions);
        return StorageKey.Canonicalize(document.RootElement);
    }

    private TimeSpan? TimeToLive(JsValue options)
    {
        if (options.IsNull() || options.IsUndefined())
        {
            return null;
        }
        if (options is not ObjectInstance optionsObject)
        {
            throw new JavaScriptException(engine.Intrinsics.TypeError, "storage.set: the third argument must be an object such as { ttlSeconds: 60 }.");
        }

        var seconds = optionsObject.Get("ttlSeconds");
        if (seconds.IsNull() || seconds.IsUndefined())
        {
            return null;
        }
        // The storage API's range, so a value lives as long whichever way it was stored.
        if (!seconds.IsNumber() || !(seconds.AsNumber() > 0 && seconds.AsNumber() <= ScenarioStorage.MaxTtlSeconds))
        {
            throw new JavaScriptException(engine.Intrinsics.TypeError,
                $"storage.set: ttlSeconds must be a number of seconds above 0 and at most {ScenarioStorage.MaxTtlSeconds:N0} (ten years), not {Describe(seconds)}.");
        }
        return TimeSpan.FromSeconds(seconds.AsNumber());
    }

    private static T Wait<T>(Task<T> task, string function)
    {
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new ScriptStorageException(function, ex);
        }
    }

    private static JsValue Argument(JsValue[] arguments, int index) => index < arguments.Length ? arguments[index] : JsValue.Undefined;

    private static string Describe(JsValue value) =>
        value.IsUndefined() ? "undefined" : value is Function ? "a function" : value.IsSymbol() ? "a symbol"
        : value.IsString() ? $"the string \"{Shortened(value.AsString())}\"" : Shortened(TypeConverter.ToString(value));

    private static string Shortened(string text) => TextCut.Shorten(text, 60, "…");
}

/// <summary>The hub's own storage failed under a script's helper call: not the script's fault, so the run may be retried.</summary>
internal sealed class ScriptStorageException(string function, Exception innerException)
    : Exception($"{function} failed: the hub's storage answered {innerException.GetType().Name}: {innerException.Message}", innerException);
