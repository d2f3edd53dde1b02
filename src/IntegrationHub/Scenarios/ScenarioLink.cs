using IntegrationHub.Identity;

namespace IntegrationHub.Scenarios;

/// <summary>Where a scenario's name leads: its Edit page for those who may edit it, the same page read-only for the others.</summary>
internal static class ScenarioLink
{
    public static string For(HubCaller caller, Guid scenarioId) =>
        caller.CanEdit ? $"/scenarios/{scenarioId}/edit" : $"/scenarios/{scenarioId}";
}
