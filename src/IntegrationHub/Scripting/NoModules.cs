using Jint;
using Jint.Runtime;
using Jint.Runtime.Modules;

namespace IntegrationHub.Scripting;

/// <summary>
/// What <c>import()</c> meets in a Source Script: a TypeError the script can catch, as a module that cannot be found
/// would give. Jint's own "loading disabled" is a .NET exception that no <c>catch</c> in the script sees.
/// </summary>
internal sealed class NoModules : IModuleLoader
{
    public static readonly NoModules Instance = new();

    public ResolvedSpecifier Resolve(string? referencingModuleLocation, ModuleRequest moduleRequest) =>
        new(moduleRequest, moduleRequest.Specifier, null, SpecifierType.Bare);

    public Module LoadModule(Engine engine, ResolvedSpecifier resolved) =>
        throw new JavaScriptException(engine.Intrinsics.TypeError,
            $"Cannot import '{resolved.ModuleRequest.Specifier}': Source Scripts have no modules; the script works with data, storage, log and run.");
}
