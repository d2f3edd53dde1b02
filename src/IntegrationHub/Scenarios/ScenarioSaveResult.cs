using IntegrationHub.Scripting;

namespace IntegrationHub.Scenarios;

/// <summary>
/// How creating or replacing a scenario ended (<see cref="ScenarioCommands"/>): expected refusals are values, which the
/// API answers as problems (<see cref="ScenarioProblems"/>) and the edit pages show in their words.
/// </summary>
internal abstract record ScenarioSaveResult
{
    private ScenarioSaveResult() { }

    /// <summary>Stored; <paramref name="Scenario"/> is as saved, with its new version.</summary>
    public sealed record Saved(Scenario Scenario) : ScenarioSaveResult;

    /// <summary>The request breaks a rule: messages by field (as the API keys them), and where the Source Script fails to parse.</summary>
    public sealed record Invalid(Dictionary<string, string[]> Errors, ScriptSyntaxError? ScriptError) : ScenarioSaveResult;

    /// <summary>Unknown, deleted (also while saving), or another workspace's scenario.</summary>
    public sealed record NotFound : ScenarioSaveResult;

    /// <summary>The request named a version someone else's save has moved past; <paramref name="CurrentVersion"/> is the stored one.</summary>
    public sealed record StaleVersion(int CurrentVersion) : ScenarioSaveResult;

    /// <summary>A replace without a version lost the race to other saves every time it tried.</summary>
    public sealed record Busy : ScenarioSaveResult;
}
