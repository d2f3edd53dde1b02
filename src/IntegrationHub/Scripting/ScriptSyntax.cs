using Acornima;
using Acornima.Ast;
using Jint;

namespace IntegrationHub.Scripting;

/// <summary>
/// How a Source Script is parsed, and whether it parses: needs no engine and no limits, so a scenario is checked on
/// save without the sandbox that runs it.
/// </summary>
internal static class ScriptSyntax
{
    /// <summary>The name the engine gives the script in its positions and stack frames.</summary>
    public const string SourceName = "SourceScript";

    // A script is a function body: `return` at top level ends it. Parsing it as a script that allows that (rather
    // than wrapping it in a function) keeps every line and column the user sees exactly where they wrote it.
    public static readonly ScriptPreparationOptions Preparation = new()
    {
        ParsingOptions = new ScriptParsingOptions { AllowReturnOutsideFunction = true },
    };

    // Jint's own limit on the depth of a script's syntax tree (its ScriptWalker), not a setting.
    private const int MaxNesting = 256;

    /// <summary>The first syntax error in <paramref name="script"/> (1-based line and column), or null when it parses.</summary>
    public static ScriptSyntaxError? Check(string script)
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
}
