using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Hosting;
using IntegrationHub.Identity;
using IntegrationHub.Scenarios;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Storage;

/// <summary><c>/api/v1/scenarios/{id}/storage</c>: read, write and delete a scenario's stored values by JSON key.</summary>
internal static class StorageEndpoints
{
    public static RouteGroupBuilder MapStorageEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/scenarios/{id:guid}/storage").WithTags("Storage").RequireAuthorization(HubPolicies.Viewer);
        group.MapGet("/", GetAsync).WithName("GetStorage")
            .WithSummary("With keyJson: the stored value. Without: a page of entries, optionally filtered by a text inside the key.")
            .AddOpenApiOperationTransformer(StorageOpenApi.DescribeGetAsync);
        // The body is described to OpenAPI by hand: Accepts metadata would make routing answer 415 before the
        // caller's credentials and the scenario were checked.
        group.MapPut("/", PutAsync).WithName("PutStorage").WithSummary("Stores the request body (JSON) under keyJson, optionally for ttlSeconds.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = new OpenApiRequestBody { Required = true, Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() } };
                return Task.CompletedTask;
            })
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(HubPolicies.Editor);
        group.MapDelete("/", DeleteAsync).WithName("DeleteStorage").WithSummary("Removes the value stored under keyJson.")
            .RequireAuthorization(HubPolicies.Editor);
        return group;
    }

    public static async Task<Results<JsonHttpResult<JsonElement>, Ok<StorageListPage>, ProblemHttpResult, ValidationProblem>> GetAsync(
        Guid id, string? keyJson, string? search, int? page, int? pageSize, HttpContext context, HubDbContext db, ScenarioStorage storage,
        CancellationToken cancellationToken)
    {
        if (!await OwnsScenarioAsync(db, id, context, cancellationToken))
        {
            return ScenarioProblems.NotFound(id);
        }

        if (keyJson is null)
        {
            var pagingErrors = new Dictionary<string, string[]>();
            if (!Paging.TryRead(page, pageSize, pagingErrors, out var p, out var size))
            {
                return TypedResults.ValidationProblem(pagingErrors);
            }
            var list = await storage.ListAsync(id, search, Paging.Offset(p, size), size, cancellationToken);
            return TypedResults.Ok(StorageListPage.From(list, p, size));
        }

        // A key too long to be stored is a 400 here too: a 404 would say it could have been.
        if (!TryReadKey(context.Request, keyJson, out var key, out var keyProblem))
        {
            return keyProblem;
        }
        var value = await storage.GetAsync(id, key, cancellationToken);
        return value is null ? StorageProblems.KeyNotFound(key) : TypedResults.Json(HubJson.ParseStored(value));
    }

    public static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> PutAsync(
        Guid id, string? keyJson, int? ttlSeconds, HttpContext context, HubDbContext db, ScenarioStorage storage, IOptions<StorageOptions> options,
        CancellationToken cancellationToken)
    {
        var caller = context.Caller();
        if (!await OwnsScenarioAsync(db, id, context, cancellationToken))
        {
            return ScenarioProblems.NotFound(id);
        }
        if (!TryReadKey(context.Request, keyJson, out var key, out var keyProblem))
        {
            return keyProblem;
        }
        if (ttlSeconds is < 1 or > ScenarioStorage.MaxTtlSeconds)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["ttlSeconds"] = [$"Between 1 and {ScenarioStorage.MaxTtlSeconds} seconds."] });
        }

        if (!context.Request.HasJsonContentType())
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported content type",
                detail: $"Content type '{context.Request.ContentType}' is not accepted; send the value as application/json.");
        }

        var maxBytes = options.Value.MaxValueBytes;
        byte[] body;
        try
        {
            body = await ReadBodyAsync(context, maxBytes, cancellationToken);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "Value too large",
                detail: $"A stored value may hold at most {maxBytes:N0} bytes of JSON (Storage:MaxValueBytes).");
        }

        // Decoded by its charset, strictly, as a trigger's body is. The content type was checked to be JSON, so it parses.
        var decoded = BodyText.DecodeToUtf8(body, MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType) ? mediaType : null);
        if (decoded.UnsupportedCharset is { } charset)
        {
            return BodyTextProblems.UnsupportedCharset(charset);
        }
        if (decoded.InvalidText is { } textError)
        {
            return BodyTextProblems.InvalidText(textError);
        }
        var json = decoded.Bytes;

        string valueJson;
        try
        {
            // The value is stored as given, minus white space: one parse checks it and normalises it.
            using var document = JsonDocument.Parse(json, HubJson.DocumentOptions);
            valueJson = document.RootElement.GetRawText();
        }
        catch (JsonException ex)
        {
            return BodyInvalid($"The body is not valid JSON at line {(ex.LineNumber ?? 0) + 1}, position {(ex.BytePositionInLine ?? 0) + 1}.");
        }
        if (HubJson.FindProblem(json.Span) is { } problem)
        {
            return BodyInvalid($"The body cannot be stored: {problem}.");
        }

        await storage.SetAsync(caller.WorkspaceId, id, key, valueJson, ttlSeconds is { } ttl ? TimeSpan.FromSeconds(ttl) : null, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> DeleteAsync(
        Guid id, string? keyJson, HttpContext context, HubDbContext db, ScenarioStorage storage, CancellationToken cancellationToken)
    {
        if (!await OwnsScenarioAsync(db, id, context, cancellationToken))
        {
            return ScenarioProblems.NotFound(id);
        }
        if (!TryReadKey(context.Request, keyJson, out var key, out var keyProblem))
        {
            return keyProblem;
        }
        return await storage.DeleteAsync(id, key, cancellationToken) ? TypedResults.NoContent() : StorageProblems.KeyNotFound(key);
    }

    /// <summary>
    /// The body as the endpoint reads it, decoded from its Content-Encoding, refused (a 413) past <paramref name="maxBytes"/>,
    /// with or without Content-Length. The decoded bytes are counted as they are read: Content-Length counts the coded
    /// ones, and the decompression middleware has taken its limit before this endpoint could set one, so a gzipped value
    /// many times the limit was stored.
    /// </summary>
    private static async Task<byte[]> ReadBodyAsync(HttpContext context, int maxBytes, CancellationToken cancellationToken)
    {
        var coded = context.Request.Headers.ContentEncoding.Count > 0;
        if (!coded && context.Request.ContentLength > maxBytes)
        {
            throw TooLarge();
        }
        // Kestrel's count of the bytes on the wire; BoundedRead's counts them decoded.
        RequestBodyLimit.Set(context, maxBytes);
        return await BoundedRead.ReadAtMostAsync(context.Request.Body, maxBytes, cancellationToken) ?? throw TooLarge();

        static BadHttpRequestException TooLarge() => new("The body is too large.", StatusCodes.Status413PayloadTooLarge);
    }

    private static ValidationProblem BodyInvalid(string error) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [error] });

    /// <summary>The required <c>keyJson</c> parameter in canonical form, or the 400 that says what is wrong with it.</summary>
    private static bool TryReadKey(
        HttpRequest request, string? keyJson, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? key, out ValidationProblem problem)
    {
        key = null;
        problem = null!;
        if (SeveralKeys(request) is { } several)
        {
            problem = several;
            return false;
        }
        if (keyJson is null)
        {
            problem = TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["keyJson"] = ["keyJson is required."] });
            return false;
        }
        if (!StorageKey.TryCanonicalize(keyJson, out key, out var keyError))
        {
            problem = KeyInvalid(keyError);
            return false;
        }
        if (StorageKey.StoreProblem(key) is { } tooLong)
        {
            problem = KeyInvalid(tooLong, "keyJson is too long");
            return false;
        }
        return true;
    }

    /// <summary>
    /// The 400 for a <c>keyJson</c> given more than once, or null: bound as one they read "42,43", a key nobody sent,
    /// and the caller was told it is not valid JSON.
    /// </summary>
    private static ValidationProblem? SeveralKeys(HttpRequest request) =>
        request.Query["keyJson"].Count > 1 ? KeyInvalid("Send keyJson once; it was given several times.", "Several keyJson parameters") : null;

    private static ValidationProblem KeyInvalid(string error, string title = "keyJson is not valid JSON") =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["keyJson"] = [error] }, title: title);

    private static Task<bool> OwnsScenarioAsync(HubDbContext db, Guid id, HttpContext context, CancellationToken cancellationToken)
    {
        var caller = context.Caller();
        return db.Scenarios.AnyAsync(s => s.Id == id && s.WorkspaceId == caller.WorkspaceId, cancellationToken);
    }
}

/// <summary>One stored entry: its key and value as JSON.</summary>
internal sealed record StorageListItem(JsonElement Key, JsonElement Value, DateTimeOffset UpdatedAt, DateTimeOffset? ExpiresAt);

/// <summary>A page of a scenario's stored entries, ordered by canonical key.</summary>
internal sealed record StorageListPage(IReadOnlyList<StorageListItem> Items, int Total, int Page, int PageSize)
{
    public static StorageListPage From(StoragePage page, int number, int size) => new(
        [.. page.Items.Select(i => new StorageListItem(HubJson.ParseStored(i.Key), HubJson.ParseStored(i.Value), i.UpdatedAt, i.ExpiresAt))],
        page.Total,
        number,
        size);
}
