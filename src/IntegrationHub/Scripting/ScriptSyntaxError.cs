namespace IntegrationHub.Scripting;

/// <summary>A syntax error in a Source Script, 1-based.</summary>
internal sealed record ScriptSyntaxError(string Message, int Line, int Column);
