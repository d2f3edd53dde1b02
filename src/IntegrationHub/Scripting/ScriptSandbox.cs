namespace IntegrationHub.Scripting;

/// <summary>A syntax error in a Source Script, 1-based.</summary>
public sealed record ScriptSyntaxError(string Message, int Line, int Column);

/// <summary>Runs Source Scripts in Jint with limits.</summary>
public sealed class ScriptSandbox
{
    // Placeholder until the engine lands.
    public ScriptSyntaxError? CheckSyntax(string script) => null;
}
