using System.Text.RegularExpressions;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;

namespace IntegrationHub.Scripting;

/// <summary>
/// Turns what stopped a script (a throw, a rejected promise, a limit) into the <see cref="ScriptError"/> its run
/// shows: what happened, in the words the script would use, and the line and column where it happened.
/// </summary>
internal static partial class ScriptErrors
{
    // What a run's error shows of a thrown object that is not an error ({ code: 42 }).
    private const int MaxThrownValueChars = 1_000;

    // Out of memory inside the engine is the script's doing (the helpers' output is capped): its run fails, not the node.
    public static bool IsScriptFailure(Exception ex) =>
        ex is JintException or OperationCanceledException or TimeoutException or ScriptStorageException or OutOfMemoryException;

    public static ScriptError Describe(Exception ex, Engine engine, ScriptJson json, TimeSpan timeout, ScriptingOptions options)
    {
        if (ex is JavaScriptException js)
        {
            // Where an error object was made, as for a rejected promise: a catch that throws it again keeps that place.
            // Location.Start.Column is 0-based; users count from 1.
            var (line, column) = js.Error is ObjectInstance made && WhereMade(made) is ({ } madeLine, { } madeColumn)
                ? (madeLine, madeColumn)
                : (js.Location.Start.Line, js.Location.Start.Column + 1);
            var where = line > 0 ? $" (line {line}, column {column})" : "";
            return new ScriptError(ScriptErrorKind.Runtime, $"{ErrorText(js, json)}{where}.", line > 0 ? line : null, line > 0 ? column : null);
        }

        if (ex is PromiseRejectedException rejection)
        {
            return DescribeRejection(rejection.RejectedValue, json, "");
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
                $"The script used more memory than allowed ({options.MemoryLimitBytes:N0} bytes, Scripting:MemoryLimitBytes): {ex.Message}{at}.", atLine, atColumn),
            StatementsCountOverflowException => new ScriptError(ScriptErrorKind.StatementLimit,
                $"The script executed more than {options.MaxStatements:N0} statements (Scripting:MaxStatements){at}.", atLine, atColumn),
            RecursionDepthOverflowException recursion => new ScriptError(ScriptErrorKind.RecursionLimit,
                $"The script's calls nested deeper than {options.RecursionLimit:N0} (Scripting:RecursionLimit) in {recursion.CallExpressionReference}(){at}.", atLine, atColumn),
            ScriptStorageException => new ScriptError(ScriptErrorKind.Storage, $"{ex.Message}{at}", atLine, atColumn, Retryable: true),
            _ => new ScriptError(ScriptErrorKind.Runtime, $"{ex.Message}{at}", atLine, atColumn),
        };
    }

    /// <summary>
    /// A promise's rejection as its throw would read: "TypeError: x is not a function (line 2, column 3)" where the
    /// error was made, or the value itself for a rejection with a non-error ("Uncaught (in promise) {"code":42}").
    /// </summary>
    public static ScriptError DescribeRejection(JsValue reason, ScriptJson json, string addendum)
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
        var text = ErrorText(reason, message, json, uncaught: "Uncaught (in promise)");
        var (line, column) = reason is ObjectInstance made ? WhereMade(made) : (null, null);
        var where = line is null ? "" : $" (line {line}, column {column})";
        return new ScriptError(ScriptErrorKind.Runtime, $"{text}{where}{addendum}.", line, column);
    }

    /// <summary>"TypeError: x is not a function", or the thrown value itself for a throw of a non-error.</summary>
    public static string ErrorText(JavaScriptException ex, ScriptJson json) => ErrorText(ex.Error, ex.Message, json, uncaught: "Uncaught");

    private static string ErrorText(JsValue thrownValue, string message, ScriptJson json, string uncaught)
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
                ? $"{uncaught} {json.Format(thrown, MaxThrownValueChars)}"
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

    private static string Seconds(TimeSpan time) =>
        time.TotalSeconds >= 1 ? $"{time.TotalSeconds:0.###} s" : $"{time.TotalMilliseconds:0} ms";

    // Jint's stack frames end in "name:line:column" or "name:line:column)".
    [GeneratedRegex(@":(?<line>\d+):(?<column>\d+)\)?\s*$")]
    private static partial Regex LocationPattern();
}
