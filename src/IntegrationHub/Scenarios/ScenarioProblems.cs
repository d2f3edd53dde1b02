using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Scenarios;

/// <summary>
/// The problems the scenario endpoints answer, and the one every feature answers for a scenario that is not there, in
/// one place: the scenario, runs and storage endpoints each wrote their own 404, and one scenario id was "Scenario not
/// found" from one and "No such scenario" from the next.
/// </summary>
internal static class ScenarioProblems
{
    /// <summary>
    /// 404 for a scenario that is unknown, deleted, or another workspace's: all read alike, so that the ids of other
    /// workspaces cannot be probed.
    /// </summary>
    public static ProblemHttpResult NotFound(Guid id) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "Scenario not found",
        detail: NotFoundDetail(id));

    /// <summary>The words of <see cref="NotFound"/>, which pages show too.</summary>
    public static string NotFoundDetail(Guid id) => $"There is no scenario {id} in your workspace.";

    /// <summary>400 for a scenario that breaks a rule, with where its Source Script fails to parse as <c>scriptError</c>.</summary>
    public static ValidationProblem Invalid(ScenarioSaveResult.Invalid invalid) =>
        TypedResults.ValidationProblem(
            invalid.Errors,
            title: "The scenario is not valid",
            extensions: invalid.ScriptError is not { } scriptError
                ? null
                : new Dictionary<string, object?>
                {
                    ["scriptError"] = new { message = scriptError.Message, line = scriptError.Line, column = scriptError.Column },
                });

    /// <summary>409 for a replace that names a version someone else's save has moved past.</summary>
    public static ProblemHttpResult StaleVersion(int current) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "The scenario was changed meanwhile",
        detail: $"Someone saved this scenario after you read it (it is now at version {current}). Read it again and reapply your changes.");

    /// <summary>409 for a replace without a version that lost the race to other saves every time it tried.</summary>
    public static ProblemHttpResult Busy() => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "Scenario busy",
        detail: "The scenario was saved by others again and again while this request tried to; send it again.");
}
