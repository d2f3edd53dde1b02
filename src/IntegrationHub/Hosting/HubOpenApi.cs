using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace IntegrationHub.Hosting;

/// <summary>
/// What every management operation shares in the OpenAPI document, added in one place instead of on each endpoint:
/// the bearer scheme (so the reference page can send a token), the sign-in cookie as its alternative, and the error
/// answers of an authorized endpoint (401, 403, and 404 where the route names a resource). The external API documents
/// its own answers, but takes the bearer scheme and the cookie as optional. What every operation shares: 413 and 415
/// where it reads a body, 400 where it binds a query value that is not text, 503 when the database cannot be reached,
/// the headers that come with 401, 429, 503, 201 and 202, and the range of the paging parameters.
/// Also what the schema generator cannot see: the type of strings (in lists and maps too), which fields of a request
/// may be left out, that a JSON value (JsonElement) may be any value, null included, and the values of the runs list's
/// filters.
/// </summary>
internal static class HubOpenApi
{
    private const string BearerScheme = "Bearer";
    private const string CookieScheme = "Cookie";

    /// <summary>
    /// Request fields a caller may leave out, which the generator marks required: every field of these records is a
    /// nullable constructor parameter (so that a missing one reaches the handler's check as null rather than failing
    /// the binding), and the generator takes a constructor parameter without a default value as required.
    /// </summary>
    private static readonly Dictionary<Type, string[]> OptionalFields = new()
    {
        [typeof(Identity.SetupRequest)] = ["workspaceName"],
        [typeof(Identity.LoginRequest)] = ["rememberMe"],
        [typeof(Identity.CreateUserRequest)] = ["password", "workspaceId"],
        [typeof(Identity.CreateTokenRequest)] = ["expiresInDays"],
    };

    /// <summary>The runs list's filters: query strings, parsed by name (case-insensitive) so that a wrong one is a 400 that lists these.</summary>
    private static readonly Dictionary<string, string[]> ListRunsFilters = new()
    {
        ["status"] = Enum.GetNames<Runs.RunStatus>(),
        ["trigger"] = Enum.GetNames<Runs.TriggerKind>(),
    };

    /// <summary>The largest page of the lists that allow more than <see cref="Paging.MaxPageSize"/>, by operation id.</summary>
    private static readonly Dictionary<string, int> LargerPages = new()
    {
        ["ListRuns"] = Runs.RunsEndpoints.MaxPageSize,
    };

    public static void Configure(OpenApiOptions options)
    {
        // Any JSON value is {}, written where it is used. As a component, a nullable one became oneOf [null, JsonElement],
        // and as {} matches null too, a null matched both and failed oneOf: a validating client refused every null.
        options.CreateSchemaReferenceId = type =>
            (Nullable.GetUnderlyingType(type.Type) ?? type.Type) == typeof(JsonElement) ? null : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
        options.AddSchemaTransformer((schema, context, _) =>
        {
            // StringWithoutNulConverter reads every string; the generator writes {} (any value) for a type with a converter.
            if (context.JsonTypeInfo.Type == typeof(string) && schema.Type is null)
            {
                schema.Type = context.JsonPropertyInfo is { IsGetNullable: true } ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String;
            }
            // WholeNumberConverter reads every int, alike.
            if ((Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type) == typeof(int) && schema.Type is null)
            {
                schema.Type = context.JsonTypeInfo.Type == typeof(int?) ? JsonSchemaType.Integer | JsonSchemaType.Null : JsonSchemaType.Integer;
                schema.Format = "int32";
            }
            // Lists and maps of strings lost their item type to the same converter ("type": "array" with no items).
            if (schema.Items is null && schema.Type?.HasFlag(JsonSchemaType.Array) == true && IsStrings(context.JsonTypeInfo.Type))
            {
                schema.Items = new OpenApiSchema { Type = JsonSchemaType.String };
            }
            if (schema.AdditionalProperties is null && schema.Type?.HasFlag(JsonSchemaType.Object) == true
                && context.JsonTypeInfo.Type.IsAssignableTo(typeof(IEnumerable<KeyValuePair<string, string>>)))
            {
                schema.AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String };
            }
            // {} on purpose: any JSON value, not a type the generator missed.
            if (context.JsonTypeInfo.Type == typeof(JsonElement))
            {
                schema.Description ??= "Any JSON value.";
            }
            else if (context.JsonTypeInfo.Type == typeof(JsonElement?))
            {
                schema.Description ??= "Any JSON value, or null.";
            }
            if (OptionalFields.TryGetValue(context.JsonTypeInfo.Type, out var optional))
            {
                foreach (var name in optional)
                {
                    schema.Required?.Remove(name);
                }
            }
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A personal access token (ih_...) from the API token page, or an Azure AD access token when configured.",
            };
            // The browser's cookie authenticates the API as well (the web app's own pages call it); without it in the
            // document a reader would take the management API for token-only, and miss the rule below.
            document.Components.SecuritySchemes[CookieScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Cookie,
                Name = Identity.IdentityExtensions.CookieName,
                Description = "The browser's sign-in cookie (HttpOnly, SameSite=Lax), set by POST /account/login. A change under "
                    + "/api/v1 (POST, PUT, PATCH, DELETE) or a trigger of /ExternalData/Accept that it authenticates is refused "
                    + "with 403 when a page of another site or of a sibling subdomain made the browser send it: marked "
                    + "Sec-Fetch-Site: cross-site or same-site, or, from a browser that sends no Sec-Fetch-Site, with an Origin "
                    + "that is null or names neither the request's host and port nor Hub:PublicUrl's. A trigger of a scenario "
                    + "that takes anonymous callers runs instead as an anonymous one would. Reads are not judged, nor are "
                    + "bearer tokens or requests with neither header (curl, servers).",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            if (operation.OperationId == "ListRuns")
            {
                foreach (var parameter in operation.Parameters ?? [])
                {
                    if (parameter.Name is { } name && ListRunsFilters.TryGetValue(name, out var values) && parameter.Schema is OpenApiSchema schema)
                    {
                        schema.Type = JsonSchemaType.String;
                        schema.Enum = [.. values.Select(v => (System.Text.Json.Nodes.JsonNode)v)];
                    }
                }
            }
            operation.Responses ??= [];
            DescribeCredentials(operation, context);
            DescribeCommonAnswers(operation, context);
            DescribePaging(operation);
            return Task.CompletedTask;
        });
    }

    private static void DescribeCredentials(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var path = context.Description.RelativePath ?? "";
        if (path.StartsWith("ExternalData", StringComparison.OrdinalIgnoreCase))
        {
            // Anonymous where the scenario allows it, a token or the cookie otherwise: the empty requirement says "or
            // none", and the reference page sends the token it is given.
            AddCredentials(operation, context);
            operation.Security!.Add(new OpenApiSecurityRequirement());
            return;
        }
        if (metadata.OfType<IAllowAnonymous>().Any()
            || !metadata.OfType<IAuthorizeData>().Any())
        {
            return;
        }

        AddCredentials(operation, context);
        AddProblem(operation, StatusCodes.Status401Unauthorized, "No credentials, or invalid, expired or revoked ones (WWW-Authenticate says which).");
        AddProblem(operation, StatusCodes.Status403Forbidden, "Signed in, but the role does not allow this.");
        if (path.Contains('{', StringComparison.Ordinal))
        {
            AddProblem(operation, StatusCodes.Status404NotFound, "No such resource in the caller's workspace.");
        }
    }

    /// <summary>A token or the cookie: two requirements, as either one will do (one requirement naming both would ask for both).</summary>
    private static void AddCredentials(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(CookieScheme, context.Document)] = [] });
    }

    /// <summary>
    /// The answers that come from the hub's middleware rather than the handler, so no endpoint's signature shows them, and
    /// the headers that come with them. Problems without a schema (added above) get the one the handlers' problems have.
    /// Not 405: routing answers it (a problem with Allow) to a method the path does not take, which is no operation of the
    /// document; declared on every operation, it would tell each one's client of an answer that operation never gives.
    /// </summary>
    private static void DescribeCommonAnswers(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        if (operation.RequestBody is not null)
        {
            // Kestrel's limit (30 MB) holds for every body; Accept and the storage PUT have smaller ones of their own.
            AddProblem(operation, StatusCodes.Status413PayloadTooLarge, "The body is larger than the hub accepts.");
            AddProblem(operation, StatusCodes.Status415UnsupportedMediaType,
                "The Content-Type is missing or not one this endpoint reads, or its charset or Content-Encoding is not supported.");
        }
        // Minimal APIs bind a query value of any type but text (a uuid, a number) before the handler runs, and one that
        // does not parse is a 400 from BadRequestExceptionHandler, whatever the handler itself checks.
        var parsed = context.Description.ParameterDescriptions
            .Where(p => p.Source == BindingSource.Query && p.Type is { } type && type != typeof(string) && !IsStrings(type))
            .Select(p => p.Name)
            .ToList();
        if (parsed.Count > 0)
        {
            AddProblem(operation, StatusCodes.Status400BadRequest, $"A query value is not of its parameter's type ({string.Join(", ", parsed)}).");
        }
        AddProblem(operation, StatusCodes.Status503ServiceUnavailable,
            "The hub cannot reach its database, or it was busy with other work on the same rows; try again after Retry-After.");

        var problemDetails = new OpenApiSchemaReference(nameof(Microsoft.AspNetCore.Mvc.ProblemDetails), context.Document);
        foreach (var (status, answer) in operation.Responses!)
        {
            if (answer is not OpenApiResponse response)
            {
                continue;
            }
            if (response.Content?.TryGetValue("application/problem+json", out var problem) == true && problem.Schema is null)
            {
                problem.Schema = problemDetails;
            }
            var header = status switch
            {
                "401" when operation.Security is { Count: > 0 } => (HeaderNames.WWWAuthenticate, WwwAuthenticate),
                "429" or "503" => (HeaderNames.RetryAfter, RetryAfter),
                "201" or "202" => (HeaderNames.Location, Location),
                _ => default((string, OpenApiHeader)?),
            };
            if (header is { } named)
            {
                response.Headers ??= new Dictionary<string, IOpenApiHeader>();
                response.Headers.TryAdd(named.Item1, named.Item2);
            }
        }
    }

    /// <summary>page and pageSize, read by <see cref="Paging.TryRead"/>: a page from 1, a size from 1 to the list's largest.</summary>
    private static void DescribePaging(OpenApiOperation operation)
    {
        var maxPageSize = LargerPages.GetValueOrDefault(operation.OperationId ?? "", Paging.MaxPageSize);
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is not OpenApiParameter { In: ParameterLocation.Query, Schema: OpenApiSchema schema })
            {
                continue;
            }
            switch (parameter.Name)
            {
                case "page":
                    schema.Minimum = "1";
                    schema.Default ??= 1;
                    break;
                case "pageSize":
                    schema.Minimum = "1";
                    schema.Maximum = maxPageSize.ToString(CultureInfo.InvariantCulture);
                    schema.Default ??= Paging.DefaultPageSize;
                    break;
            }
        }
    }

    private static readonly OpenApiHeader WwwAuthenticate = new()
    {
        Description = "Bearer, with error=\"invalid_token\" (or \"invalid_request\" for a malformed Authorization header) when credentials were sent.",
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };

    private static readonly OpenApiHeader RetryAfter = new()
    {
        Description = "Seconds to wait before trying again.",
        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
    };

    private static readonly OpenApiHeader Location = new()
    {
        Description = "The path of the created or queued resource.",
        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" },
    };

    private static void AddProblem(OpenApiOperation operation, int status, string description) =>
        operation.Responses!.TryAdd(status.ToString(CultureInfo.InvariantCulture), new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() },
        });

    /// <summary>A list of strings (a string is not one, though it is a list of chars).</summary>
    private static bool IsStrings(Type type) => type != typeof(string) && type.IsAssignableTo(typeof(IEnumerable<string>));
}
