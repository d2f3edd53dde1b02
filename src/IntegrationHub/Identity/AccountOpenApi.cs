using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace IntegrationHub.Identity;

/// <summary>
/// What the OpenAPI document says of <c>/account/login</c> and <c>/account/logout</c> beyond the handlers' signatures:
/// the sign-in's body (JSON or a form), and the redirect (302) a form post gets. The handlers return <c>RedirectHttpResult</c>, which gives the generator no
/// status, so the document declared only the answers to JSON.
/// </summary>
internal static class AccountOpenApi
{
    public static async Task DescribeLoginAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        // A component, as a body bound by the handler's signature would be: generated clients name the type.
        context.Document!.AddComponent(nameof(LoginRequest),
            await context.GetOrCreateSchemaAsync(typeof(LoginRequest), cancellationToken: cancellationToken));
        var login = new OpenApiSchemaReference(nameof(LoginRequest), context.Document);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = login },
                ["application/x-www-form-urlencoded"] = new() { Schema = login },
            },
        };
        AddRedirect(operation, "A form post, whether or not the password is right (JSON gets 200 or a problem). Signed in: to the "
            + $"form's returnUrl when it is a local path, else to /. Not signed in: back to {AccountPaths.Login}?failed=true "
            + "(wrong email or password), failed=disabled or failed=locked, with the returnUrl, and no cookie.");
    }

    public static Task DescribeLogoutAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        AddRedirect(operation, "A form post (any other body, or none, gets 204): the cookie is removed, and the browser goes to the "
            + $"form's returnUrl when it is a local path (/ when it is not), or to {AccountPaths.Login} when the form has none.");
        return Task.CompletedTask;
    }

    private static void AddRedirect(OpenApiOperation operation, string description)
    {
        operation.Responses ??= [];
        operation.Responses["302"] = new OpenApiResponse
        {
            Description = description,
            Headers = new Dictionary<string, IOpenApiHeader>
            {
                [Microsoft.Net.Http.Headers.HeaderNames.Location] = new OpenApiHeader
                {
                    Description = "Where the browser goes next: a path on this site.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" },
                },
            },
        };
    }
}
