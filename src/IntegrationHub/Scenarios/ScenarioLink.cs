using IntegrationHub.Identity;

namespace IntegrationHub.Scenarios;

/// <summary>Where a scenario's name leads: its Edit page for those who may edit it, its run history for the others,
/// who would only be turned away by the Edit page.</summary>
internal static class ScenarioLink
{
    public static string For(HubCaller caller, Guid scenarioId) =>
        caller.CanEdit ? $"/scenarios/{scenarioId}/edit" : $"/runs?scenario={scenarioId}";
}
