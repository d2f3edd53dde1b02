using IntegrationHub.Data;
using IntegrationHub.Housekeeping;
using IntegrationHub.Hosting;
using IntegrationHub.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Scenarios;

/// <summary><c>/api/v1/scenarios</c>: list, read, create, replace and delete the caller's workspace's scenarios.</summary>
internal static class ScenarioEndpoints
{

    /// <summary>How often a replace reads the scenario again after losing a race with another save.</summary>
    private const int MaxSaveAttempts = 20;

    /// <summary>Attempts at deleting a scenario whose cascade met its runs' outcomes in a deadlock.</summary>
    private const int MaxDeleteAttempts = 5;

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
        Guid id, HttpContext context, HubDbContext db, ScenarioSecrets secrets, CancellationToken cancellationToken)
    {
        var scenario = await FindAsync(db.Scenarios.AsNoTracking(), id, context, cancellationToken);
        return scenario is null ? ScenarioProblems.NotFound(id) : TypedResults.Ok(ScenarioResponse.From(scenario, context.Caller().CanEdit, secrets));
    }

    public static async Task<Results<Created<ScenarioResponse>, ValidationProblem>> CreateAsync(
        ScenarioRequest request, HttpContext context, HubDbContext db, ScenarioTriggerCache triggerCache,
        ScenarioSecrets secrets, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = context.Caller();
        var errors = ScenarioValidator.Validate(request, out var scriptError);
        if (errors.Count > 0)
        {
            return Invalid(errors, scriptError);
        }

        var now = time.GetUtcNow();
        var scenario = new Scenario { Name = "", WorkspaceId = caller.WorkspaceId, CreatedAt = now };
        ScenarioValidator.Apply(request, scenario, now);
        if (secrets.Encrypt(scenario, null, null) is { Count: > 0 } unreadable)
        {
            return Invalid(unreadable, null);
        }
        db.Scenarios.Add(scenario);
        await db.SaveChangesAsync(cancellationToken);
        // An unknown id may have been cached as absent by a trigger that came too early.
        triggerCache.Evict(scenario.Id);
        return TypedResults.Created($"/api/v1/scenarios/{scenario.Id}", ScenarioResponse.From(scenario, withHeaderValues: true, secrets));
    }

    public static async Task<Results<Ok<ScenarioResponse>, ProblemHttpResult, ValidationProblem>> ReplaceAsync(
        Guid id, ScenarioRequest request, HttpContext context, HubDbContext db, ScenarioTriggerCache triggerCache,
        ScenarioSecrets secrets, TimeProvider time, CancellationToken cancellationToken)
    {
        var scenario = await FindAsync(db.Scenarios, id, context, cancellationToken);
        if (scenario is null)
        {
            return ScenarioProblems.NotFound(id);
        }

        var errors = ScenarioValidator.Validate(request, out var scriptError);
        if (errors.Count > 0)
        {
            return Invalid(errors, scriptError);
        }

        try
        {
            for (var attempt = 1; ; attempt++)
            {
                if (request.Version is { } expected && expected != scenario.Version)
                {
                    return ScenarioProblems.StaleVersion(scenario.Version);
                }
                var (storedSource, storedTarget) = (scenario.Source.Headers, scenario.Target.Headers);
                ScenarioValidator.Apply(request, scenario, time.GetUtcNow());
                if (secrets.Encrypt(scenario, storedSource, storedTarget) is { Count: > 0 } unreadable)
                {
                    return Invalid(unreadable, null);
                }
                // Version is the concurrency token: a save that raced ours since we read it fails here instead of being overwritten.
                scenario.Version++;
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                    return TypedResults.Ok(ScenarioResponse.From(scenario, withHeaderValues: true, secrets));
                }
                catch (DbUpdateConcurrencyException) when (attempt < MaxSaveAttempts)
                {
                    // Read it again: deleted meanwhile is a 404; changed meanwhile is a 409 for a request that names the
                    // version it read, and without one the last save wins, ours applied on top of the other.
                    db.ChangeTracker.Clear();
                    scenario = await FindAsync(db.Scenarios, id, context, cancellationToken);
                    if (scenario is null)
                    {
                        return ScenarioProblems.NotFound(id);
                    }
                }
                catch (DbUpdateConcurrencyException)
                {
                    return ScenarioProblems.Busy();
                }
            }
        }
        finally
        {
            triggerCache.Evict(id);
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        Guid id, HttpContext context, HubDbContext db, Housekeeper housekeeper, ScenarioTriggerCache triggerCache, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = context.Caller();
        var scenario = db.Scenarios.Where(s => s.Id == id && s.WorkspaceId == caller.WorkspaceId);
        if (!await scenario.AnyAsync(cancellationToken))
        {
            return ScenarioProblems.NotFound(id);
        }
        // Once begun, the deletion is finished even if the caller goes away: a scenario is not left with half its history.
        await housekeeper.DeleteRunsOfScenarioAsync(id, CancellationToken.None);
        int deleted;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                deleted = await scenario.ExecuteDeleteAsync(CancellationToken.None);
                break;
            }
            catch (Exception ex) when (attempt < MaxDeleteAttempts && DatabaseErrors.Classify(ex) == DatabaseTrouble.Contended)
            {
                // The cascade to runs and storage deadlocked with runs of the scenario recording their outcomes (PostgreSQL
                // failed it to free them): those runs have ended now, so the delete goes again.
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), time, CancellationToken.None);
            }
        }
        triggerCache.Evict(id);
        // Its runs in flight went with it: stop them now, not at their node's next lease renewal (Runs/RunCancellation).
        await context.RequestServices.GetRequiredService<Runs.RunCancellation>().StopRunsOfDeletedScenarioAsync(id, CancellationToken.None);
        return deleted == 0 ? ScenarioProblems.NotFound(id) : TypedResults.NoContent();
    }

    /// <summary>The scenario when it belongs to the caller's workspace; another workspace's reads as absent.</summary>
    internal static Task<Scenario?> FindAsync(IQueryable<Scenario> scenarios, Guid id, HttpContext context, CancellationToken cancellationToken)
    {
        var caller = context.Caller();
        return scenarios.FirstOrDefaultAsync(s => s.Id == id && s.WorkspaceId == caller.WorkspaceId, cancellationToken);
    }

    private static ValidationProblem Invalid(Dictionary<string, string[]> errors, Scripting.ScriptSyntaxError? scriptError) =>
        TypedResults.ValidationProblem(
            errors,
            title: "The scenario is not valid",
            extensions: scriptError is null
                ? null
                : new Dictionary<string, object?>
                {
                    ["scriptError"] = new { message = scriptError.Message, line = scriptError.Line, column = scriptError.Column },
                });
}
