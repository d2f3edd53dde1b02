using System.Diagnostics;
using System.Linq.Expressions;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Hosting;
using IntegrationHub.Identity;
using IntegrationHub.Scenarios;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Runs;

/// <summary>
/// <c>/api/v1</c> runs: run a scenario now, list and read runs, resubmit and cancel. A run or scenario of another
/// workspace answers 404 exactly like an unknown id, so ids of other tenants cannot be probed.
/// </summary>
internal static class RunsEndpoints
{
    public const int MaxPageSize = 500;

    public static RouteGroupBuilder MapRunsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1").WithTags("Runs");
        group.MapPost("/scenarios/{id:guid}/runs", RunNow).RequireAuthorization(HubPolicies.Operator)
            .WithName("RunScenarioNow").WithSummary("Queues a run of the scenario now (manual trigger).")
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapGet("/runs", ListRuns).RequireAuthorization(HubPolicies.Viewer)
            .WithName("ListRuns").WithSummary("Runs of the caller's workspace, newest first, paged; filter by scenario, status and trigger.");
        group.MapGet("/runs/{id:guid}", GetRun).RequireAuthorization(HubPolicies.Viewer)
            .WithName("GetRun").WithSummary("One run: status, trigger, timestamps, attempts, records, log, error, result and payload.");
        group.MapGet("/runs/{id:guid}/payload", GetPayload).RequireAuthorization(HubPolicies.Viewer)
            .WithName("GetRunPayload").WithSummary("The request an external POST stored with the run (data[0]), whole, as JSON.")
            .Produces<JsonElement>(StatusCodes.Status200OK, "application/json");
        group.MapGet("/runs/{id:guid}/result", GetResult).RequireAuthorization(HubPolicies.Viewer)
            .WithName("GetRunResult").WithSummary("The records the run's Source Script returned, whole, as JSON.")
            .Produces<JsonElement>(StatusCodes.Status200OK, "application/json");
        group.MapPost("/runs/{id:guid}/retry", RetryRun).RequireAuthorization(HubPolicies.Operator)
            .WithName("RetryRun").WithSummary("Resubmits an ended run as a new run with the same payload.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapPost("/runs/{id:guid}/cancel", CancelRun).RequireAuthorization(HubPolicies.Operator)
            .WithName("CancelRun")
            .WithSummary("Cancels a queued run (200), or asks a running one to stop (202): it becomes Cancelled once its node has stopped it.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    public static async Task<Results<Accepted<RunDetails>, ProblemHttpResult>> RunNow(
        Guid id, HttpContext context, RunRequests requests, IOptions<RunsOptions> options, CancellationToken cancellationToken) =>
        Answer(await requests.RunNowAsync(id, context.Caller(), cancellationToken), context, options.Value);

    public static async Task<Results<Ok<RunPage>, ValidationProblem>> ListRuns(
        HttpContext context, HubDbContext db, CancellationToken cancellationToken,
        Guid? scenarioId = null, string? status = null, string? trigger = null, int page = 1, int pageSize = Paging.DefaultPageSize)
    {
        var caller = context.Caller();
        var errors = new Dictionary<string, string[]>();
        var statusFilter = EnumNames.Parse<RunStatus>(status);
        if (status is not null && statusFilter is null)
        {
            errors["status"] = [$"Unknown status '{status}'; one of {string.Join(", ", Enum.GetNames<RunStatus>())}."];
        }
        var triggerFilter = EnumNames.Parse<TriggerKind>(trigger);
        if (trigger is not null && triggerFilter is null)
        {
            errors["trigger"] = [$"Unknown trigger '{trigger}'; one of {string.Join(", ", Enum.GetNames<TriggerKind>())}."];
        }
        if (!Paging.TryRead(page, pageSize, errors, out page, out pageSize, MaxPageSize) || errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var query = db.OfWorkspace(caller.WorkspaceId, statusFilter, scenarioId);
        if (triggerFilter is { } tf)
        {
            query = query.Where(r => r.Trigger == tf);
        }

        var found = await query.NewestFirstAsync(RunSummary.Of, page, pageSize, cancellationToken);
        return TypedResults.Ok(new RunPage(found.Items, page, pageSize, found.Total, found.TotalIsExact));
    }

    public static async Task<Results<Ok<RunDetails>, ProblemHttpResult>> GetRun(
        Guid id, HttpContext context, HubDbContext db, CancellationToken cancellationToken)
    {
        var run = await FindAsync(db, id, context.Caller(), cancellationToken);
        return run is null ? RunNotFound(id) : TypedResults.Ok(RunDetails.From(run));
    }

    public static async Task<Results<Accepted<RunDetails>, ProblemHttpResult>> RetryRun(
        Guid id, HttpContext context, RunRequests requests, IOptions<RunsOptions> options, CancellationToken cancellationToken) =>
        Answer(await requests.RetryAsync(id, context.Caller(), cancellationToken), context, options.Value);

    public static Task<Results<ContentHttpResult, ProblemHttpResult>> GetPayload(
        Guid id, HttpContext context, HubDbContext db, CancellationToken cancellationToken) =>
        StoredJsonAsync(id, "request", r => r.Payload, context, db, cancellationToken);

    public static Task<Results<ContentHttpResult, ProblemHttpResult>> GetResult(
        Guid id, HttpContext context, HubDbContext db, CancellationToken cancellationToken) =>
        StoredJsonAsync(id, "result", r => r.Result, context, db, cancellationToken);

    /// <summary>
    /// One of a run's large columns as it is stored, for the run page's download links: the page shows only the start
    /// of it (<see cref="JsonPreview"/>), and the run's details parse it into a document first.
    /// </summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> StoredJsonAsync(
        Guid id, string what, Expression<Func<Run, string?>> column, HttpContext context, HubDbContext db, CancellationToken cancellationToken)
    {
        var caller = context.Caller();
        var found = await db.Runs.AsNoTracking()
            .Where(r => r.Id == id && r.WorkspaceId == caller.WorkspaceId)
            .Select(column)
            .Select(json => new { json })
            .FirstOrDefaultAsync(cancellationToken);
        return found is null ? RunNotFound(id)
            : found.json is null ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No {what}", detail: $"Run {id} has no stored {what}.")
            : TypedResults.Text(found.json, "application/json");
    }

    public static async Task<Results<Ok<RunDetails>, Accepted<RunDetails>, ProblemHttpResult>> CancelRun(
        Guid id, HttpContext context, RunCancellation cancellation, CancellationToken cancellationToken)
    {
        var caller = context.Caller();
        if (await cancellation.CancelAsync(id, caller.WorkspaceId, cancellationToken) is not var (result, run))
        {
            return RunNotFound(id);
        }
        return result switch
        {
            CancelResult.Cancelled => TypedResults.Ok(RunDetails.From(run)),
            CancelResult.Stopping => TypedResults.Accepted($"/api/v1/runs/{id}", RunDetails.From(run)),
            CancelResult.Ended => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The run has ended",
                detail: $"Run {id} is {run.Status}; only a Queued or Running run can be cancelled."),
            // Every value is named above: a new one fails here until it is given its own answer, instead of passing for Ended.
            _ => throw new UnreachableException($"CancelAsync answered {result}, which CancelRun does not know."),
        };
    }

    /// <summary>The answer to a request to run a scenario now or to resubmit a run.</summary>
    private static Results<Accepted<RunDetails>, ProblemHttpResult> Answer(RunRequestResult result, HttpContext context, RunsOptions options) =>
        result switch
        {
            RunRequestResult.Accepted accepted => TypedResults.Accepted($"/api/v1/runs/{accepted.Run.Id}", RunDetails.From(accepted.Run)),
            RunRequestResult.ScenarioNotFound notFound => ScenarioProblems.NotFound(notFound.ScenarioId),
            RunRequestResult.RunNotFound notFound => RunNotFound(notFound.RunId),
            RunRequestResult.NotEnded notEnded => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
                title: "The run has not ended", detail: notEnded.Reason),
            RunRequestResult.QueueFull => QueueFullProblem.Create(context, options),
            // Every case is named above: a new one fails here until it is given its own answer.
            _ => throw new UnreachableException($"A run request answered {result}, which the runs API does not know."),
        };

    private static Task<Run?> FindAsync(HubDbContext db, Guid id, HubCaller caller, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id && r.WorkspaceId == caller.WorkspaceId, cancellationToken);

    private static ProblemHttpResult RunNotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such run", detail: new RunRequestResult.RunNotFound(id).Reason);
}

/// <summary>A run as lists show it.</summary>
internal sealed record RunSummary(
    Guid Id,
    Guid ScenarioId,
    RunStatus Status,
    TriggerKind Trigger,
    DateTimeOffset QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int Attempts,
    int MaxAttempts,
    int RecordsIn,
    int RecordsOut,
    Guid? RetryOf,
    DateTimeOffset? ScheduledFor,
    string? Error)
{
    /// <summary>
    /// A run's summary as a query selects it: its payload (up to the body limit), log and result stay in the database.
    /// </summary>
    internal static readonly Expression<Func<Run, RunSummary>> Of = r => new RunSummary(r.Id, r.ScenarioId, r.Status,
        r.Trigger, r.QueuedAt, r.StartedAt, r.FinishedAt, r.Attempts, r.MaxAttempts, r.RecordsIn, r.RecordsOut, r.RetryOf,
        r.ScheduledFor, r.Error);
}

/// <summary>One page of runs, newest first.</summary>
/// <param name="Total">How many runs match: exactly when <paramref name="TotalIsExact"/>, else a lower bound.</param>
/// <param name="TotalIsExact">
/// False when more than 10,000 runs match (and more than reach to the end of this page): they are not all counted, and
/// an older page follows.
/// </param>
internal sealed record RunPage(IReadOnlyList<RunSummary> Items, int Page, int PageSize, int Total, bool TotalIsExact);

/// <summary>Why a run failed; line and column point into the Source Script when the error came from there.</summary>
internal sealed record RunError(string Message, int? Line, int? Column);

/// <summary>Everything about one run.</summary>
/// <param name="CancelRequestedAt">When a user cancelled the run while it was Running; it is Cancelled once its node stopped it.</param>
/// <param name="Log">The log of the latest attempt.</param>
/// <param name="Result">The records the Source Script returned.</param>
/// <param name="Payload">For external POST triggers: the accepted request.</param>
internal sealed record RunDetails(
    Guid Id,
    Guid WorkspaceId,
    Guid ScenarioId,
    RunStatus Status,
    TriggerKind Trigger,
    DateTimeOffset QueuedAt,
    DateTimeOffset AvailableAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int Attempts,
    int MaxAttempts,
    int RecordsIn,
    int RecordsOut,
    Guid? TriggeredBy,
    Guid? RetryOf,
    DateTimeOffset? ScheduledFor,
    DateTimeOffset? CancelRequestedAt,
    IReadOnlyList<RunLogLine> Log,
    RunError? Error,
    JsonElement? Result,
    JsonElement? Payload)
{
    public static RunDetails From(Run run) => new(
        run.Id, run.WorkspaceId, run.ScenarioId, run.Status, run.Trigger, run.QueuedAt, run.AvailableAt, run.StartedAt,
        run.FinishedAt, run.Attempts, run.MaxAttempts, run.RecordsIn, run.RecordsOut, run.TriggeredBy, run.RetryOf, run.ScheduledFor,
        run.CancelRequestedAt, StoredRunLog.Parse(run.Log),
        run.Error is null ? null : new RunError(run.Error, run.ErrorLine, run.ErrorColumn),
        ParseJson(run.Result),
        ParseJson(run.Payload));

    private static JsonElement? ParseJson(string? json)
    {
        if (json is null)
        {
            return null;
        }
        try
        {
            return HubJson.ParseStored(json);
        }
        catch (JsonException)
        {
            // Stored text that is not JSON is still worth showing.
            return JsonSerializer.SerializeToElement(json);
        }
    }
}
