using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Acornima;
using Acornima.Ast;
using IntegrationHub.Data;
using IntegrationHub.Storage;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Scripting;

/// <summary>
/// Runs Source Scripts in Jint with limits on: strict mode, no .NET access, no <c>eval</c>, a timeout, and caps on
/// memory, statements and recursion (<see cref="ScriptingOptions"/>). A failing script is a value
/// (<see cref="ScriptResult.Error"/>), never an exception, so the worker that ran it goes on.
/// </summary>
public sealed partial class ScriptSandbox : IDisposable
{
    private const string SourceName = "SourceScript";

    // A script is a function body: `return` at top level ends it. Parsing it as a script that allows that (rather
    // than wrapping it in a function) keeps every line and column the user sees exactly where they wrote it.
    private static readonly ScriptPreparationOptions Preparation = new()
    {
        ParsingOptions = new ScriptParsingOptions { AllowReturnOutsideFunction = true },
    };

    // Reads `data` as the script sees it: a top-level `const data` or `let data` of its own shadows the global.
    private static readonly Prepared<Script> DataAsTheScriptSeesIt = Engine.PrepareScript("data", SourceName, strict: true);

    private static readonly TimeSpan CacheIdleTime = TimeSpan.FromHours(1);
    private static readonly TimeSpan MaxRegexTime = TimeSpan.FromSeconds(10);

    private readonly ScriptingOptions _options;
    private readonly ScenarioStorage _storage;
    private readonly TimeProvider _time;
    private readonly ILogger<ScriptSandbox> _logger;
    private readonly MemoryCache _prepared;
    private readonly SemaphoreSlim _turns;

    public ScriptSandbox(IOptions<ScriptingOptions> options, ScenarioStorage storage, TimeProvider time, ILogger<ScriptSandbox> logger)
    {
        _options = options.Value;
        _storage = storage;
        _time = time;
        _logger = logger;
        _prepared = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.PreparedScriptCacheSize });
        _turns = new SemaphoreSlim(_options.MaxConcurrentScripts, _options.MaxConcurrentScripts);
    }

    /// <summary>How many more scripts could start on this node right now.</summary>
    internal int FreeTurns => _turns.CurrentCount;

    /// <summary>The first syntax error in <paramref name="script"/> (1-based line and column), or null when it parses.</summary>
    public ScriptSyntaxError? CheckSyntax(string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        try
        {
            Engine.PrepareScript(script, SourceName, strict: true, Preparation);
            return null;
        }
        catch (ScriptPreparationException ex) when (ex.InnerException is ParseErrorException parse)
        {
            return new ScriptSyntaxError(parse.Description, parse.LineNumber, parse.Column + 1);
        }
        // Jint prepares no script nested more than 256 levels deep (a sum of 300 terms is 300 levels), and the parser
        // runs out of stack at some thousands; both escaped as a 500 on save, and as an exception out of a run.
        catch (ScriptPreparationException ex) when (ex.InnerException is ScriptPreparationException or InsufficientExecutionStackException)
        {
            var (line, column) = ex.InnerException is InsufficientExecutionStackException ? (1, 1) : FirstTooDeep(script);
            return new ScriptSyntaxError(
                $"The script nests more than {MaxNesting} levels deep (brackets, operators or calls inside one another; "
                + "a + b + c ... counts one level per +), which the engine cannot run. Split long expressions into steps, "
                + "with a loop or an array's join for instance.", line, column);
        }
    }

    // Jint's own limit on the depth of a script's syntax tree (its ScriptWalker), not a setting.
    private const int MaxNesting = 256;

    /// <summary>Where the syntax tree first goes deeper than <see cref="MaxNesting"/> (1-based), read without recursion.</summary>
    private static (int Line, int Column) FirstTooDeep(string script)
    {
        var parser = new Parser(new ParserOptions { AllowReturnOutsideFunction = true });
        var pending = new Stack<(Node Node, int Depth)>();
        pending.Push((parser.ParseScript(script, SourceName, strict: true), 1));
        while (pending.TryPop(out var next))
        {
            if (next.Depth > MaxNesting)
            {
                return (next.Node.Location.Start.Line, next.Node.Location.Start.Column + 1);
            }
            foreach (var child in next.Node.ChildNodes)
            {
                // Jint walks each function's body on its own: nested functions do not add up.
                pending.Push((child, child is IFunction ? 1 : next.Depth + 1));
            }
        }
        return (1, 1);
    }

    /// <summary>
    /// Waits, without holding a thread, until fewer than <see cref="ScriptingOptions.MaxConcurrentScripts"/> scripts
    /// run on this node, then runs the script as <see cref="Execute"/> does. The wait counts against the script's timeout.
    /// </summary>
    public async Task<ScriptResult> ExecuteAsync(ScriptInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var started = _time.GetTimestamp();
        if (!await _turns.WaitAsync(invocation.Timeout, cancellationToken))
        {
            var log = new ScriptLog(_time, _options.MaxLogLines, _options.MaxLogLineLength, invocation.RunLog);
            return Failed(log, new ScriptError(ScriptErrorKind.NoTurn,
                $"The script did not start: it waited its whole timeout of {invocation.Timeout.TotalSeconds:0.###} s for a turn while other scripts ran (Scripting:MaxConcurrentScripts).",
                null, null, Retryable: true));
        }
        try
        {
            return Execute(invocation with { Timeout = invocation.Timeout - _time.GetElapsedTime(started) }, cancellationToken);
        }
        finally
        {
            _turns.Release();
        }
    }

    /// <summary>
    /// Runs a Source Script over <see cref="ScriptInvocation.DataJson"/> on the calling thread and returns the records
    /// it passes on: what it returns (an array as records, any other value as one record), or <c>data</c> as the
    /// script left it when it returns nothing. Storage helpers wait for the database on this thread.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: the caller
    /// stopped the run, so there is no outcome to report (a timeout is an outcome, not an exception).</exception>
    public ScriptResult Execute(ScriptInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var log = new ScriptLog(_time, _options.MaxLogLines, _options.MaxLogLineLength, invocation.RunLog);
        var prepared = Prepare(invocation);
        if (prepared.SyntaxError is { } syntax)
        {
            return Failed(log, new ScriptError(ScriptErrorKind.Syntax,
                $"SyntaxError: {syntax.Message} (line {syntax.Line}, column {syntax.Column}).", syntax.Line, syntax.Column));
        }

        var timeout = invocation.Timeout > TimeSpan.Zero ? invocation.Timeout : TimeSpan.FromMilliseconds(1);
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        using var engine = new Engine(options => Configure(options, timeout, linked.Token));
        var host = new ScriptHost(engine, invocation, _storage, log, _time, linked.Token);

        JsValue data;
        try
        {
            data = host.ParseJson(invocation.DataJson);
        }
        catch (JavaScriptException ex)
        {
            return Failed(log, new ScriptError(ScriptErrorKind.InvalidData, $"The script's data is not valid JSON: {ex.Message}", null, null));
        }

        var unobserved = new UnobservedRejections(engine);
        try
        {
            engine.SetValue("data", data);
            host.Install();
            // An async script (or one that returns a promise) ends when its promise settles, within the same limits.
            var completion = engine.Evaluate(prepared.Script!.Value).UnwrapIfPromise(linked.Token);
            if (unobserved.First is { } rejected)
            {
                // As Node.js ends a process on one: the work that promise did (its storage writes among it) is not whole.
                return Failed(log, DescribeRejection(rejected, host, "; the script did not await that promise or catch its error"));
            }
            // No return value: the script worked on `data` in place (or assigned it anew).
            var result = completion.IsUndefined() ? engine.Evaluate(DataAsTheScriptSeesIt) : completion;
            return Succeeded(log, host, result, _options.MemoryLimitBytes);
        }
        catch (Exception ex) when (IsScriptFailure(ex))
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The run was cancelled while its script ran.", ex, cancellationToken);
            }

            var error = Describe(ex, engine, host, timeout);
            LogScriptFailed(_logger, invocation.ScenarioId, invocation.RunId, error.Kind);
            return Failed(log, error);
        }
    }

    public void Dispose()
    {
        _prepared.Dispose();
        _turns.Dispose();
    }

    private void Configure(Jint.Options options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        options.Strict()
            .MaxStatements(_options.MaxStatements)
            .LimitRecursion(_options.RecursionLimit)
            // The token is the caller's cancellation and the timeout (it also ends a pending storage wait); the interval
            // is the same timeout checked against the clock on the script's own thread, so it bites on time even when a
            // saturated thread pool delays the timer that cancels the token.
            .CancellationToken(cancellationToken)
            .TimeoutInterval(timeout)
            // No eval or new Function: every line that runs was parsed, checked and cached up front.
            .DisableStringCompilation()
            .LocalTimeZone(TimeZoneInfo.Utc);
        options.Modules.ModuleLoader = NoModules.Instance;
        // Without the guard, recursion inside built-ins (JSON.stringify of a deep object) overflows the native stack,
        // and a stack overflow ends the process, not the run.
        options.Constraints.StackOverflowGuard = true;
        options.Constraints.Constraints.Add(new ScriptMemoryLimit(_options.MemoryLimitBytes));
        // One statement such as `new Array(1e9).fill(0)` would allocate gigabytes before the memory check after it runs.
        options.Constraints.MaxArraySize = (uint)Math.Min(_options.MemoryLimitBytes / 8, uint.MaxValue);
        // A regular expression cannot be cancelled mid-match; its own timeout keeps catastrophic backtracking in bounds.
        options.Constraints.RegexTimeout = timeout < MaxRegexTime ? timeout : MaxRegexTime;
    }

    private PreparedScript Prepare(ScriptInvocation invocation)
    {
        if (_prepared.TryGetValue(invocation.ScenarioId, out PreparedScript? cached)
            && cached!.Version == invocation.ScenarioVersion
            && string.Equals(cached.Source, invocation.Script, StringComparison.Ordinal))
        {
            return cached;
        }

        PreparedScript prepared;
        try
        {
            // The appended `return;` makes a script that falls off its end complete with undefined rather than with
            // the value of its last expression, so "no return" reliably means "use data". It sits on its own line
            // after the user's text, so it shifts no position the user sees.
            var script = Engine.PrepareScript(invocation.Script + "\nreturn;", SourceName, strict: true, Preparation);
            prepared = new PreparedScript(invocation.ScenarioVersion, invocation.Script, script, null);
        }
        catch (ScriptPreparationException)
        {
            // Parse the user's text alone for the error, so it points at what they wrote, never at the appended line.
            var error = CheckSyntax(invocation.Script) ?? new ScriptSyntaxError("Unexpected end of script", LastLine(invocation.Script), 1);
            prepared = new PreparedScript(invocation.ScenarioVersion, invocation.Script, null, error);
        }

        // Keyed by scenario alone: saving a new version replaces the old entry instead of leaving it to age out.
        _prepared.Set(invocation.ScenarioId, prepared, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = CacheIdleTime });
        return prepared;
    }

    /// <summary>
    /// The records the script passes on, judged by their JSON (what the targets get): a JSON array is the records, any
    /// other value one record. A <c>toJSON</c> or a proxy may make that JSON differ from the value's own shape.
    /// </summary>
    /// <param name="maxBytes">The records' JSON may take no more than the memory the script may allocate.</param>
    private static ScriptResult Succeeded(ScriptLog log, ScriptHost host, JsValue result, long maxBytes)
    {
        if (host.IsArray(result) && ScriptHost.FirstRecordWithoutJson((ObjectInstance)result) is { } hole)
        {
            return Failed(log, new ScriptError(ScriptErrorKind.InvalidData,
                $"The script's records hold undefined, a function or a symbol at index {hole}, which has no JSON form (a callback of map that returned nothing?); leave such entries out, with filter for instance.",
                null, null));
        }

        var buffer = new CappedBufferWriter(maxBytes);
        bool written;
        try
        {
            written = host.TryWriteJson(result, buffer);
        }
        catch (OutputTooLargeException)
        {
            return Failed(log, new ScriptError(ScriptErrorKind.MemoryLimit,
                $"The script's records take more than {maxBytes:N0} bytes as JSON, the memory a script may use (Scripting:MemoryLimitBytes).", null, null));
        }
        catch (JavaScriptException ex)
        {
            // A BigInt, a cycle, a toJSON that throws: the script itself had run to its end.
            return Failed(log, new ScriptError(ScriptErrorKind.InvalidData,
                $"The script's records cannot be turned into JSON: {ErrorText(ex, host)}.", null, null));
        }

        if (!written)
        {
            return Failed(log, new ScriptError(ScriptErrorKind.InvalidData, result.IsUndefined()
                ? "The script returned nothing and left data undefined; return records, an array of records, or leave data holding them."
                : $"The script returned {(result.IsSymbol() ? "a symbol" : "a function")}, which has no JSON form; return records, an array of records, or nothing.",
                null, null));
        }
        if (HubJson.FindProblem(buffer.WrittenSpan, HubJson.MaxRecordsDepth) is { } problem)
        {
            return Failed(log, new ScriptError(ScriptErrorKind.InvalidData, $"The script's records cannot be passed on: {problem}.", null, null));
        }

        var json = Encoding.UTF8.GetString(buffer.WrittenSpan);
        return ArrayLength(buffer.WrittenSpan) is { } count
            ? new ScriptResult(json, count, log.Lines, null)
            : new ScriptResult($"[{json}]", 1, log.Lines, null);
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

    private static ScriptResult Failed(ScriptLog log, ScriptError error) =>
        // A thrown message can be megabytes ('x'.repeat(2e7)); the run's error travels in every list of runs.
        new(null, 0, log.Lines, error with { Message = TextCut.Shorten(error.Message, MaxErrorChars, $"… (cut at {MaxErrorChars:N0} characters)") });

    // A run's error, as long as a log line may be by default.
    private const int MaxErrorChars = 4_096;

    // Out of memory inside the engine is the script's doing (the helpers' output is capped): its run fails, not the node.
    private static bool IsScriptFailure(Exception ex) =>
        ex is JintException or OperationCanceledException or TimeoutException or ScriptStorageException or OutOfMemoryException;

    private ScriptError Describe(Exception ex, Engine engine, ScriptHost host, TimeSpan timeout)
    {
        if (ex is JavaScriptException js)
        {
            // Where an error object was made, as for a rejected promise: a catch that throws it again keeps that place.
            // Location.Start.Column is 0-based; users count from 1.
            var (line, column) = js.Error is ObjectInstance made && WhereMade(made) is ({ } madeLine, { } madeColumn)
                ? (madeLine, madeColumn)
                : (js.Location.Start.Line, js.Location.Start.Column + 1);
            var where = line > 0 ? $" (line {line}, column {column})" : "";
            return new ScriptError(ScriptErrorKind.Runtime, $"{ErrorText(js, host)}{where}.", line > 0 ? line : null, line > 0 ? column : null);
        }

        if (ex is PromiseRejectedException rejection)
        {
            return DescribeRejection(rejection.RejectedValue, host, "");
        }

        // The limits below throw from deep inside the interpreter with no position; the engine's call stack still
        // holds where the script was when the limit bit, which is what a user needs to find the loop.
        var (atLine, atColumn) = CurrentLocation(engine);
        var at = atLine is null ? "" : $" (stopped at line {atLine}, column {atColumn})";
        return ex switch
        {
            // A pattern that backtracks without end is a fault of the script, like an exception, not the run's timeout.
            RegexMatchTimeoutException regex => new ScriptError(ScriptErrorKind.Runtime,
                $"A regular expression ran longer than {Seconds(regex.MatchTimeout)}{at}.", atLine, atColumn),
            ExecutionCanceledException or OperationCanceledException or TimeoutException => new ScriptError(ScriptErrorKind.Timeout,
                $"The script ran longer than its timeout of {Seconds(timeout)}{at}.", atLine, atColumn),
            MemoryLimitExceededException or OutOfMemoryException => new ScriptError(ScriptErrorKind.MemoryLimit,
                $"The script used more memory than allowed ({_options.MemoryLimitBytes:N0} bytes, Scripting:MemoryLimitBytes): {ex.Message}{at}.", atLine, atColumn),
            StatementsCountOverflowException => new ScriptError(ScriptErrorKind.StatementLimit,
                $"The script executed more than {_options.MaxStatements:N0} statements (Scripting:MaxStatements){at}.", atLine, atColumn),
            RecursionDepthOverflowException recursion => new ScriptError(ScriptErrorKind.RecursionLimit,
                $"The script's calls nested deeper than {_options.RecursionLimit:N0} (Scripting:RecursionLimit) in {recursion.CallExpressionReference}(){at}.", atLine, atColumn),
            ScriptStorageException => new ScriptError(ScriptErrorKind.Storage, $"{ex.Message}{at}", atLine, atColumn, Retryable: true),
            _ => new ScriptError(ScriptErrorKind.Runtime, $"{ex.Message}{at}", atLine, atColumn),
        };
    }

    /// <summary>
    /// A promise's rejection as its throw would read: "TypeError: x is not a function (line 2, column 3)" where the
    /// error was made, or the value itself for a rejection with a non-error ("Uncaught (in promise) {"code":42}").
    /// </summary>
    private static ScriptError DescribeRejection(JsValue reason, ScriptHost host, string addendum)
    {
        string message;
        try
        {
            message = reason is ObjectInstance error ? TypeConverter.ToString(error.Get("message")) : TypeConverter.ToString(reason);
        }
        catch (Exception inner) when (IsScriptFailure(inner))
        {
            message = "";
        }
        var text = ErrorText(reason, message, host, uncaught: "Uncaught (in promise)");
        var (line, column) = reason is ObjectInstance made ? WhereMade(made) : (null, null);
        var where = line is null ? "" : $" (line {line}, column {column})";
        return new ScriptError(ScriptErrorKind.Runtime, $"{text}{where}{addendum}.", line, column);
    }

    /// <summary>"TypeError: x is not a function", or the thrown value itself for a throw of a non-error.</summary>
    private static string ErrorText(JavaScriptException ex, ScriptHost host) => ErrorText(ex.Error, ex.Message, host, uncaught: "Uncaught");

    private static string ErrorText(JsValue thrownValue, string message, ScriptHost host, string uncaught)
    {
        try
        {
            // Reading "name" runs the script's getter if it has one, and the value's JSON its toJSON: script code,
            // here outside the script's try, so it may throw or loop (until the engine's limits stop it).
            if (thrownValue is ObjectInstance error && error.Get("name") is { } name && name.IsString())
            {
                // Some of the engine's own errors carry no message (a push onto a frozen array): no dangling colon.
                return message.Length == 0 ? name.AsString() : $"{name.AsString()}: {message}";
            }
            return thrownValue is ObjectInstance thrown
                ? $"{uncaught} {host.Format(thrown, MaxThrownValueChars)}"
                : $"{uncaught} {message}";
        }
        catch (Exception inner) when (IsScriptFailure(inner))
        {
            return $"{uncaught} {message}";
        }
    }

    /// <summary>Where an error object was made, from the first frame of its stack that names a position.</summary>
    private static (int? Line, int? Column) WhereMade(ObjectInstance error)
    {
        var stack = error.Get("stack");
        if (!stack.IsString())
        {
            return (null, null);
        }
        foreach (var frame in stack.AsString().Split('\n'))
        {
            var match = LocationPattern().Match(frame);
            if (match.Success)
            {
                return (int.Parse(match.Groups["line"].ValueSpan), int.Parse(match.Groups["column"].ValueSpan));
            }
        }
        return (null, null);
    }

    // What a run's error shows of a thrown object that is not an error ({ code: 42 }).
    private const int MaxThrownValueChars = 1_000;

    private static (int? Line, int? Column) CurrentLocation(Engine engine)
    {
        string stack;
        try
        {
            stack = engine.Advanced.StackTrace;
        }
        catch (InvalidOperationException)
        {
            return (null, null);
        }

        var firstLine = stack.AsSpan().TrimStart();
        var end = firstLine.IndexOf('\n');
        var match = LocationPattern().Match(end < 0 ? firstLine.ToString() : firstLine[..end].ToString());
        return match.Success
            ? (int.Parse(match.Groups["line"].ValueSpan), int.Parse(match.Groups["column"].ValueSpan))
            : (null, null);
    }

    private static int LastLine(string script) => script.AsSpan().Count('\n') + 1;

    private static string Seconds(TimeSpan time) =>
        time.TotalSeconds >= 1 ? $"{time.TotalSeconds:0.###} s" : $"{time.TotalMilliseconds:0} ms";

    // Jint's stack frames end in "name:line:column" or "name:line:column)".
    [GeneratedRegex(@":(?<line>\d+):(?<column>\d+)\)?\s*$")]
    private static partial Regex LocationPattern();

    [LoggerMessage(Level = LogLevel.Debug, Message = "The script of scenario {ScenarioId} failed in run {RunId}: {Kind}")]
    private static partial void LogScriptFailed(ILogger logger, Guid scenarioId, Guid runId, ScriptErrorKind kind);

    /// <summary>
    /// Promises of the script that were rejected with no handler and got none by the end: an async call it did not
    /// await, a <c>.then</c> without a <c>.catch</c>. Their errors would otherwise vanish, and the run succeed without
    /// the work they stopped.
    /// </summary>
    private sealed class UnobservedRejections
    {
        private readonly Dictionary<JsValue, JsValue> _pending = new(ReferenceEqualityComparer.Instance);

        public UnobservedRejections(Engine engine) => engine.Advanced.PromiseRejectionTracker += (_, e) =>
        {
            if (e.Operation == Jint.Native.Promise.PromiseRejectionOperation.Reject)
            {
                _pending[e.Promise] = e.Value ?? JsValue.Undefined;
            }
            else
            {
                _pending.Remove(e.Promise);
            }
        };

        /// <summary>The reason of the first such rejection still without a handler, or null.</summary>
        public JsValue? First => _pending.Count == 0 ? null : _pending.Values.First();
    }

    /// <summary>A parsed script (shared by every engine that runs it) or the syntax error that stopped the parse.</summary>
    private sealed record PreparedScript(int Version, string Source, Prepared<Script>? Script, ScriptSyntaxError? SyntaxError);
}
