using System.Diagnostics;
using IntegrationHub.Data;
using IntegrationHub.Hosting;
using IntegrationHub.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Scenarios;

/// <summary><c>/api/v1/scenarios</c>: list, read, create, replace and delete the caller's workspace's scenarios.</summary>
internal static class ScenarioEndpoints
{

    public static RouteGroupBuilder MapScenarioEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/scenarios").WithTags("Scenarios").RequireAuthorization(HubPolicies.Viewer);
        group.MapGet("/", ListAsync).WithName("ListScenarios").WithSummary("A page of the workspace's scenarios, optionally filtered by name.");
        group.MapGet("/{id:guid}", GetAsync).WithName("GetScenario").WithSummary("One scenario.");
        group.MapPost("/", CreateAsync).WithName("CreateScenario").WithSummary("Creates a scenario.")
            .RequireAuthorization(HubPolicies.Editor);
        group.MapPut("/{id:guid}", ReplaceAsync).WithName("ReplaceScenario")
            .WithSummary("Replaces a scenario; with `version` set, only if nobody saved it since.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(HubPolicies.Editor);
        group.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteScenario").WithSummary("Deletes a scenario with its runs and storage.")
            .RequireAuthorization(HubPolicies.Editor);
        return group;
    }

    public static async Task<Results<Ok<ScenarioPage>, ValidationProblem>> ListAsync(
        HttpContext context, HubDbContext db, ScenarioSecrets secrets, string? search, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var caller = context.Caller();
        var errors = new Dictionary<string, string[]>();
        if (!Paging.TryRead(page, pageSize, errors, out var p, out var size))
        {
            return TypedResults.ValidationProblem(errors);
        }

        var query = db.Scenarios.AsNoTracking().Where(s => s.WorkspaceId == caller.WorkspaceId).Matching(search);
        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderBy(s => s.Name).ThenBy(s => s.Id).ToPageAsync(p, size, cancellationToken);
        return TypedResults.Ok(new ScenarioPage([.. items.Select(s => ScenarioResponse.From(s, caller.CanEdit, secrets))], total, p, size));
    }

    public static async Task<Results<Ok<ScenarioResponse>, ProblemHttpResult>> GetAsync(
        Guid id, HttpContext context, ScenarioCommands commands, ScenarioSecrets secrets, CancellationToken cancellationToken)
    {
        var caller = context.Caller();
        var scenario = await commands.FindAsync(id, caller, cancellationToken);
        return scenario is null ? ScenarioProblems.NotFound(id) : TypedResults.Ok(ScenarioResponse.From(scenario, caller.CanEdit, secrets));
    }

    public static async Task<Results<Created<ScenarioResponse>, ValidationProblem>> CreateAsync(
        ScenarioRequest request, HttpContext context, ScenarioCommands commands, ScenarioSecrets secrets, CancellationToken cancellationToken) =>
        await commands.CreateAsync(request, context.Caller(), cancellationToken) switch
        {
            ScenarioSaveResult.Saved saved => TypedResults.Created(
                $"/api/v1/scenarios/{saved.Scenario.Id}", ScenarioResponse.From(saved.Scenario, withHeaderValues: true, secrets)),
            ScenarioSaveResult.Invalid invalid => ScenarioProblems.Invalid(invalid),
            var other => throw new UnreachableException($"Creating a scenario answered {other}."),
        };

    public static async Task<Results<Ok<ScenarioResponse>, ProblemHttpResult, ValidationProblem>> ReplaceAsync(
        Guid id, ScenarioRequest request, HttpContext context, ScenarioCommands commands, ScenarioSecrets secrets,
        CancellationToken cancellationToken) =>
        await commands.ReplaceAsync(id, request, context.Caller(), cancellationToken) switch
        {
            ScenarioSaveResult.Saved saved => TypedResults.Ok(ScenarioResponse.From(saved.Scenario, withHeaderValues: true, secrets)),
            ScenarioSaveResult.Invalid invalid => ScenarioProblems.Invalid(invalid),
            ScenarioSaveResult.NotFound => ScenarioProblems.NotFound(id),
            ScenarioSaveResult.StaleVersion stale => ScenarioProblems.StaleVersion(stale.CurrentVersion),
            ScenarioSaveResult.Busy => ScenarioProblems.Busy(),
            // Every case is named above: a new one fails here until it is given its own answer.
            var other => throw new UnreachableException($"Replacing a scenario answered {other}."),
        };

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        Guid id, HttpContext context, ScenarioCommands commands, CancellationToken cancellationToken) =>
        await commands.DeleteAsync(id, context.Caller(), cancellationToken) ? TypedResults.NoContent() : ScenarioProblems.NotFound(id);
}
