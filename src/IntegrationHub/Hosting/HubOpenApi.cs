using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace IntegrationHub.Hosting;

/// <summary>
/// What every management operation shares in the OpenAPI document, added in one place instead of on each endpoint:
/// the bearer scheme (so the reference page can send a token) and the error answers of an authorized endpoint
/// (401, 403, and 404 where the route names a resource). The external API documents its own answers.
/// </summary>
internal static class HubOpenApi
{
    private const string BearerScheme = "Bearer";

    public static void Configure(OpenApiOptions options)
    {
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
            if (path.StartsWith("ExternalData", StringComparison.OrdinalIgnoreCase)
                || metadata.OfType<IAllowAnonymous>().Any()
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
