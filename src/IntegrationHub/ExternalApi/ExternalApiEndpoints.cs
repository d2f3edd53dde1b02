using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Hosting;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace IntegrationHub.ExternalApi;

/// <summary>
/// <c>/ExternalData/Accept/{scenarioId}</c> (GET and POST) and <c>/ExternalData/GetCacheData/{scenarioId}</c>, as the
/// seed document describes them. Authentication is decided per scenario here (not by an endpoint policy), because
/// anonymous access is a scenario setting.
/// </summary>
internal static class ExternalApiEndpoints
{
    public const string RunIdHeader = "X-Run-Id";
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int IdempotencyKeyMaxLength = 200;

    public static RouteGroupBuilder MapExternalApiEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/ExternalData").WithTags("External API").AllowAnonymous();
        group.MapGet("/Accept/{scenarioId:guid}", AcceptGetAsync).WithName("AcceptGet")
            .WithSummary("Queues a run that polls the scenario's source. 200 with an empty body and X-Run-Id once stored.")
            .ProducesProblems(AcceptOpenApi.Errors)
            .AddOpenApiOperationTransformer(AcceptOpenApi.DescribeGetAsync);
        group.MapPost("/Accept/{scenarioId:guid}", AcceptPostAsync).WithName("AcceptPost")
            .WithSummary("Queues a run with the request (JSON, XML or a form) as data[0]. 200 with an empty body and X-Run-Id once stored.")
            .ProducesProblems([.. AcceptOpenApi.Errors, .. AcceptOpenApi.BodyErrors])
            .AddOpenApiOperationTransformer(AcceptOpenApi.DescribePostAsync);
        group.MapGet("/GetCacheData/{scenarioId:guid}", GetCacheDataAsync).WithName("GetCacheData")
            .WithSummary("With keyJson: the value stored under that key. Without: a page of the scenario's entries.")
            .ProducesProblems(CacheDataOpenApi.Errors)
            .AddOpenApiOperationTransformer(CacheDataOpenApi.DescribeAsync);
        return group;
    }

    private static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder builder, int[] statusCodes)
    {
        foreach (var statusCode in statusCodes)
        {
            builder.ProducesProblem(statusCode);
        }
        return builder;
    }

    public static Task<Results<Ok, Ok<RunResultResponse>, Accepted<RunResultResponse>, ProblemHttpResult>> AcceptGetAsync(
        Guid scenarioId, HttpContext context, ScenarioTriggerCache scenarios, RunQueue queue, IOptions<ExternalApiOptions> options,
        IOptions<RunsOptions> runsOptions, TimeProvider time) =>
        AcceptAsync(scenarioId, TriggerKind.ExternalGet, context, scenarios, queue, options.Value, runsOptions.Value, time);

    public static Task<Results<Ok, Ok<RunResultResponse>, Accepted<RunResultResponse>, ProblemHttpResult>> AcceptPostAsync(
        Guid scenarioId, HttpContext context, ScenarioTriggerCache scenarios, RunQueue queue, IOptions<ExternalApiOptions> options,
        IOptions<RunsOptions> runsOptions, TimeProvider time) =>
        AcceptAsync(scenarioId, TriggerKind.ExternalPost, context, scenarios, queue, options.Value, runsOptions.Value, time);

    public static async Task<Results<JsonHttpResult<JsonElement>, Ok<CacheDataPage>, ProblemHttpResult>> GetCacheDataAsync(
        Guid scenarioId, string? keyJson, int? page, int? pageSize, HttpContext context, ScenarioTriggerCache scenarios, ScenarioStorage storage)
    {
        var cancellationToken = context.RequestAborted;
        var settings = await scenarios.GetAsync(scenarioId, cancellationToken);
        if (await AuthorizeAsync(context, scenarioId, settings, trigger: false) is { } denied)
        {
            return denied;
        }

        if (keyJson is null)
        {
            var errors = new Dictionary<string, string[]>();
            if (!Paging.TryRead(page, pageSize, errors, out var p, out var size))
            {
                return ExternalApiProblems.BadRequest("Invalid paging", string.Join(" ", errors.Values.SelectMany(e => e)));
            }
            var list = await storage.ListAsync(scenarioId, null, Paging.Offset(p, size), size, cancellationToken);
            return TypedResults.Ok(new CacheDataPage(
                [.. list.Items.Select(i => new CacheDataItem(HubJson.ParseStored(i.Key), HubJson.ParseStored(i.Value), i.UpdatedAt))],
                list.Total,
                p,
                size));
        }

        if (context.Request.Query["keyJson"].Count > 1)
        {
            // Bound as one they read "42,43", a key nobody sent.
            return ExternalApiProblems.BadRequest("Several keyJson parameters", "Send keyJson once; it was given several times.");
        }
        if (!StorageKey.TryCanonicalize(keyJson, out var key, out var keyError))
        {
            return ExternalApiProblems.BadRequest("Malformed keyJson", keyError);
        }
        if (StorageKey.StoreProblem(key) is { } tooLong)
        {
            // As the storage API answers it: no value can be stored under it, which a 404 would not say.
            return ExternalApiProblems.BadRequest("keyJson is too long", tooLong);
        }
        var value = await storage.GetAsync(scenarioId, key, cancellationToken);
        return value is null ? StorageProblems.KeyNotFound(key) : TypedResults.Json(HubJson.ParseStored(value));
    }

    private static async Task<Results<Ok, Ok<RunResultResponse>, Accepted<RunResultResponse>, ProblemHttpResult>> AcceptAsync(
        Guid scenarioId, TriggerKind kind, HttpContext context, ScenarioTriggerCache scenarios, RunQueue queue, ExternalApiOptions options,
        RunsOptions runsOptions, TimeProvider time)
    {
        var cancellationToken = context.RequestAborted;
        var settings = await scenarios.GetAsync(scenarioId, cancellationToken);
        if (await AuthorizeAsync(context, scenarioId, settings, trigger: true) is { } denied)
        {
            return denied;
        }
        if (!settings!.Enabled)
        {
            return ExternalApiProblems.ScenarioDisabled(scenarioId);
        }

        var idempotencyKeys = context.Request.Headers[IdempotencyKeyHeader];
        if (idempotencyKeys.Count > 1)
        {
            // Read as one they would be "a,b": a key the caller never sent.
            return ExternalApiProblems.BadRequest("Several Idempotency-Keys", "Send one Idempotency-Key header.");
        }
        var idempotencyKey = idempotencyKeys.ToString();
        if (idempotencyKey.Length > IdempotencyKeyMaxLength)
        {
            return ExternalApiProblems.BadRequest("Idempotency-Key too long", $"An Idempotency-Key is at most {IdempotencyKeyMaxLength} characters.");
        }
        if (!TryReadWait(context.Request, options, out var wait, out var waitError))
        {
            return waitError;
        }

        string? payload = null;
        var fingerprint = idempotencyKey.Length > 0 && IdempotencyScope.NeedsFingerprint(context.User);
        byte[]? requestFingerprint = null;
        if (kind == TriggerKind.ExternalPost)
        {
            var body = await TriggerBodyReader.ReadAsync(context.Request, options.MaxBodyBytes, time.GetUtcNow(), fingerprint, cancellationToken);
            if (body.Problem is { } problem)
            {
                return problem;
            }
            payload = body.Payload;
            requestFingerprint = body.Fingerprint;
        }
        else if (fingerprint)
        {
            requestFingerprint = IdempotencyScope.Fingerprint(context.Request, default);
        }

        var caller = HubCaller.From(context.User);
        var result = await queue.EnqueueAsync(
            new NewRun(
                settings.WorkspaceId,
                scenarioId,
                kind,
                settings.MaxAttempts,
                settings.MaxQueuedRuns,
                payload,
                TriggeredBy: caller?.UserId,
                IdempotencyKey: idempotencyKey.Length == 0 ? null : IdempotencyScope.Key(context.User, idempotencyKey, requestFingerprint)),
            cancellationToken);

        if (result is EnqueueResult.ScenarioGone)
        {
            return ExternalApiProblems.ScenarioNotFound(scenarioId);
        }
        if (result.AcceptedRunId is not { } runId)
        {
            return QueueFullProblem.Create(context, runsOptions);
        }

        context.Response.Headers[RunIdHeader] = runId.ToString();
        if (wait <= TimeSpan.Zero)
        {
            // The seed promises an empty 200; the run id travels in the header.
            return TypedResults.Ok();
        }

        var run = await queue.WaitForCompletionAsync(runId, wait, cancellationToken);
        var response = RunResultResponse.From(runId, run);
        return response.Status is RunStatus.Queued or RunStatus.Running
            ? TypedResults.Accepted($"/api/v1/runs/{runId}", response)
            : TypedResults.Ok(response);
    }

    /// <summary>
    /// The access rules, in this order: invalid credentials are 401 even where anonymous callers are welcome; a caller
    /// without credentials gets 404 for an unknown scenario and for one without external triggers alike (so neither
    /// tells the other apart), and 401 for one that takes external triggers but not anonymous ones; an Azure AD caller
    /// without the configured group gets 403 saying the group is missing, whatever the scenario; a browser signed in
    /// by its cookie gets 403 for a trigger that a page of another site or a sibling subdomain made it send (or goes ahead
    /// as an anonymous caller where those are welcome); a signed-in caller gets 404 for scenarios outside their workspace
    /// (and, when triggering, for scenarios without external triggers), then 403 when their role is too low, unless the
    /// scenario takes anonymous triggers: then they go ahead as an anonymous caller. Null means go ahead.
    /// </summary>
    private static async ValueTask<ProblemHttpResult?> AuthorizeAsync(HttpContext context, Guid scenarioId, ScenarioTriggerSettings? settings, bool trigger)
    {
        var caller = HubCaller.From(context.User);
        if (caller is null)
        {
            if (context.User.Identity?.IsAuthenticated == true)
            {
                // Signed in, but given no hub role: an Azure AD token without the configured group. The same 403 for every
                // scenario id: telling unknown ids from known ones would show such a token which scenarios exist, in
                // every workspace.
                return IdentityProblems.AzureAdGroupMissing();
            }
            // The authentication middleware already ran the handler; this reads its cached result.
            var authentication = await context.AuthenticateAsync();
            if (authentication.Failure is not null)
            {
                return ExternalApiProblems.CredentialsInvalid(context, authentication);
            }
            return settings is not { EnableExternalTriggers: true } ? ExternalApiProblems.ScenarioNotFound(scenarioId)
                : settings.AllowsAnonymous ? null
                : ExternalApiProblems.CredentialsRequired(context);
        }

        // Anyone who knows the URL may call such a scenario: a caller it does not take as themselves is taken as anonymous.
        var openToAnyone = settings is { EnableExternalTriggers: true, AllowsAnonymous: true };

        // The SameSite=Lax cookie still comes along with a top-level GET from any site and with any request from a sibling
        // subdomain, so such a page could trigger runs as the signed-in person. A bearer token is never sent on its own.
        if (trigger && context.Request.Headers.Authorization.Count == 0 && RequestOrigin.IsFromAnotherSite(context.Request, sameSiteToo: true))
        {
            // The page could have triggered it without the cookie: it runs, but as no one, not as the person.
            return openToAnyone ? AsAnonymous(context) : IdentityProblems.TriggerFromAnotherSite();
        }
        var reaches = settings is not null && settings.WorkspaceId == caller.WorkspaceId && (!trigger || settings.EnableExternalTriggers);
        var mayDo = trigger ? caller.CanTrigger : caller.CanRead;
        if (reaches && mayDo)
        {
            return null;
        }
        // Credentials that do not reach it (another workspace's sign-in in the browser, a role too low) must not make
        // that less than calling without them.
        return openToAnyone ? AsAnonymous(context)
            : !reaches ? ExternalApiProblems.ScenarioNotFound(scenarioId, triggersNeeded: trigger)
            : ExternalApiProblems.Forbidden(trigger ? "trigger scenarios (Operator or above)" : "read storage (Viewer or above)");
    }

    /// <summary>Goes on as a caller without credentials would: the run names no one, and an Idempotency-Key is scoped as theirs.</summary>
    private static ProblemHttpResult? AsAnonymous(HttpContext context)
    {
        context.User = new ClaimsPrincipal(new ClaimsIdentity());
        return null;
    }

    /// <summary>
    /// <c>?wait=N</c>: whole seconds, 0 or more, cut to <see cref="ExternalApiOptions.MaxWaitSeconds"/>. A number too
    /// large for an int is cut like any other, not refused: a caller asking to wait "as long as allowed" gets the cap.
    /// </summary>
    private static bool TryReadWait(HttpRequest request, ExternalApiOptions options, out TimeSpan wait, out ProblemHttpResult problem)
    {
        wait = TimeSpan.Zero;
        problem = null!;
        if (!request.Query.TryGetValue("wait", out var raw))
        {
            return true;
        }
        var text = raw.ToString().AsSpan().Trim();
        var digits = text.StartsWith('+') ? text[1..] : text;
        if (digits.IsEmpty || digits.ContainsAnyExceptInRange('0', '9'))
        {
            problem = ExternalApiProblems.BadRequest("Invalid wait", "wait is a whole number of seconds, 0 or more.");
            return false;
        }
        var seconds = int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : int.MaxValue;
        wait = TimeSpan.FromSeconds(Math.Min(seconds, options.MaxWaitSeconds));
        return true;
    }
}

/// <summary>
/// The answer to <c>?wait=N</c>: 200 when the run ended in time, 202 (with Location) while it is still queued or running.
/// </summary>
/// <param name="Result">What the Source Script returned, as JSON.</param>
internal sealed record RunResultResponse(Guid RunId, RunStatus Status, JsonElement? Result, string? Error, int? ErrorLine, int? ErrorColumn)
{
    public static RunResultResponse From(Guid runId, RunState? run) => run is null
        // The run was deleted with its scenario while we waited.
        ? new(runId, RunStatus.Cancelled, null, "The run no longer exists.", null, null)
        : new(runId, run.Status, run.Result is null ? null : HubJson.ParseStored(run.Result), run.Error, run.ErrorLine, run.ErrorColumn);
}

/// <summary>One entry of <c>GetCacheData</c> without a key.</summary>
internal sealed record CacheDataItem(JsonElement Key, JsonElement Value, DateTimeOffset UpdatedAt);

/// <summary>A page of a scenario's stored entries, ordered by canonical key.</summary>
internal sealed record CacheDataPage(IReadOnlyList<CacheDataItem> Items, int Total, int Page, int PageSize);
