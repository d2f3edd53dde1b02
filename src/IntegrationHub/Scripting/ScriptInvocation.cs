using IntegrationHub.Runs;
using IntegrationHub.Storage;

namespace IntegrationHub.Scripting;

/// <summary>One execution of a Source Script.</summary>
/// <param name="ScenarioVersion">With <paramref name="ScenarioId"/>, what the parsed script is cached under.</param>
/// <param name="Script">The script body: a function body that sees <c>data</c> and may <c>return</c>.</param>
/// <param name="DataJson">The records the script sees as <c>data</c>: a JSON array.</param>
/// <param name="Timeout">How long the script may run; past it the run fails as timed out.</param>
/// <param name="Storage">Where the script's <c>storage.set</c> and <c>storage.delete</c> go: the run's pending changes,
/// committed with its success. <c>storage.get</c> reads them first, then the stored entries.</param>
/// <param name="RunLog">The run's log, which gets each line the script writes as it writes it; the result's
/// <see cref="ScriptResult.Log"/> holds them too.</param>
internal sealed record ScriptInvocation(
    Guid ScenarioId,
    int ScenarioVersion,
    string Script,
    Guid RunId,
    TriggerKind Trigger,
    string DataJson,
    TimeSpan Timeout,
    StorageChanges Storage,
    RunLog? RunLog = null);
