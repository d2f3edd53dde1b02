using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace IntegrationHub.Hosting;

/// <summary>
/// What every management operation shares in the OpenAPI document, added in one place instead of on each endpoint:
/// the bearer scheme (so the reference page can send a token) and the error answers of an authorized endpoint
/// (401, 403, and 404 where the route names a resource). The external API documents its own answers, but takes the
/// bearer scheme as optional. Also what the schema generator cannot see: the type of strings, which fields of a
/// request may be left out, and the values of the runs list's filters.
/// </summary>
internal static class HubOpenApi
{
    private const string BearerScheme = "Bearer";

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

    public static void Configure(OpenApiOptions options)
    {
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
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var path = context.Description.RelativePath ?? "";
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
            if (path.StartsWith("ExternalData", StringComparison.OrdinalIgnoreCase))
            {
                // Anonymous where the scenario allows it, a token otherwise: the empty requirement says "or none", and
                // the reference page sends the token it is given.
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
                operation.Security.Add(new OpenApiSecurityRequirement());
                return Task.CompletedTask;
            }
            if (metadata.OfType<IAllowAnonymous>().Any()
                || !metadata.OfType<IAuthorizeData>().Any())
            {
                return Task.CompletedTask;
            }

            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
            operation.Responses ??= [];
            AddProblem(operation, StatusCodes.Status401Unauthorized, "No credentials, or invalid, expired or revoked ones (WWW-Authenticate says which).");
            AddProblem(operation, StatusCodes.Status403Forbidden, "Signed in, but the role does not allow this.");
            if (path.Contains('{', StringComparison.Ordinal))
            {
                AddProblem(operation, StatusCodes.Status404NotFound, "No such resource in the caller's workspace.");
            }
            return Task.CompletedTask;
        });
    }

    private static void AddProblem(OpenApiOperation operation, int status, string description) =>
        operation.Responses!.TryAdd(status.ToString(), new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() },
        });
}
