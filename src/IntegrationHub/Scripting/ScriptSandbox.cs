using Acornima.Ast;
using IntegrationHub.Storage;
using Jint;
using Jint.Native;
using Jint.Runtime;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Scripting;

/// <summary>
/// Runs Source Scripts in Jint with limits on: strict mode, no .NET access, no <c>eval</c>, a timeout, and caps on
/// memory, statements and recursion (<see cref="ScriptingOptions"/>). A failing script is a value
/// (<see cref="ScriptResult.Error"/>), never an exception, so the worker that ran it goes on.
/// </summary>
internal sealed partial class ScriptSandbox : IDisposable
{
    // Reads `data` as the script sees it: a top-level `const data` or `let data` of its own shadows the global.
    private static readonly Prepared<Script> DataAsTheScriptSeesIt = Engine.PrepareScript("data", ScriptSyntax.SourceName, strict: true);

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
            return ScriptResult.Failed(log, new ScriptError(ScriptErrorKind.NoTurn,
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
            return ScriptResult.Failed(log, new ScriptError(ScriptErrorKind.Syntax,
                $"SyntaxError: {syntax.Message} (line {syntax.Line}, column {syntax.Column}).", syntax.Line, syntax.Column));
        }

        var timeout = invocation.Timeout > TimeSpan.Zero ? invocation.Timeout : TimeSpan.FromMilliseconds(1);
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        using var engine = new Engine(options => Configure(options, timeout, linked.Token));
        var json = new ScriptJson(engine);
        var host = new ScriptHost(engine, json, invocation, _storage, log, _time, linked.Token);

        JsValue data;
        try
        {
            data = json.Parse(invocation.DataJson);
        }
        catch (JavaScriptException ex)
        {
            return ScriptResult.Failed(log, new ScriptError(ScriptErrorKind.InvalidData, $"The script's data is not valid JSON: {ex.Message}", null, null));
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
                return ScriptResult.Failed(log, ScriptErrors.DescribeRejection(rejected, json, "; the script did not await that promise or catch its error"));
            }
            // No return value: the script worked on `data` in place (or assigned it anew).
            var result = completion.IsUndefined() ? engine.Evaluate(DataAsTheScriptSeesIt) : completion;
            return ScriptRecords.From(log, json, result, _options.MemoryLimitBytes);
        }
        catch (Exception ex) when (ScriptErrors.IsScriptFailure(ex))
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The run was cancelled while its script ran.", ex, cancellationToken);
            }

            var error = ScriptErrors.Describe(ex, engine, json, timeout, _options);
            LogScriptFailed(_logger, invocation.ScenarioId, invocation.RunId, error.Kind);
            return ScriptResult.Failed(log, error);
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
            var script = Engine.PrepareScript(invocation.Script + "\nreturn;", ScriptSyntax.SourceName, strict: true, ScriptSyntax.Preparation);
            prepared = new PreparedScript(invocation.ScenarioVersion, invocation.Script, script, null);
        }
        catch (ScriptPreparationException)
        {
            // Parse the user's text alone for the error, so it points at what they wrote, never at the appended line.
            var error = ScriptSyntax.Check(invocation.Script) ?? new ScriptSyntaxError("Unexpected end of script", LastLine(invocation.Script), 1);
            prepared = new PreparedScript(invocation.ScenarioVersion, invocation.Script, null, error);
        }

        // Keyed by scenario alone: saving a new version replaces the old entry instead of leaving it to age out.
        _prepared.Set(invocation.ScenarioId, prepared, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = CacheIdleTime });
        return prepared;
    }

    private static int LastLine(string script) => script.AsSpan().Count('\n') + 1;

    [LoggerMessage(Level = LogLevel.Debug, Message = "The script of scenario {ScenarioId} failed in run {RunId}: {Kind}")]
    private static partial void LogScriptFailed(ILogger logger, Guid scenarioId, Guid runId, ScriptErrorKind kind);

    /// <summary>A parsed script (shared by every engine that runs it) or the syntax error that stopped the parse.</summary>
    private sealed record PreparedScript(int Version, string Source, Prepared<Script>? Script, ScriptSyntaxError? SyntaxError);
}
