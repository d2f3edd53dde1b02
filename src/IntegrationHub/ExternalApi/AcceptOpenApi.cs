using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace IntegrationHub.ExternalApi;

/// <summary>
/// What the OpenAPI document says of <c>/ExternalData/Accept</c> beyond what the handlers' signatures tell it. The
/// accepted content types are described here rather than with <c>Accepts</c> metadata, because routing enforces that
/// metadata: it would answer 415 before the caller's credentials and the scenario were checked.
/// </summary>
internal static class AcceptOpenApi
{
    /// <summary>The content types <c>POST /ExternalData/Accept</c> parses; any other is answered with 415.</summary>
    public static readonly string[] ContentTypes =
        ["application/json", "application/xml", "text/xml", "application/x-www-form-urlencoded", "multipart/form-data"];

    public static Task DescribePostAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.RequestBody = new OpenApiRequestBody
        {
            // A POST without a body (and without Content-Type) queues a run with data[0].Body = null.
            Required = false,
            Description = "Given to the Source Script as data[0].Body: JSON as is, XML and forms turned into an object "
                + "(docs/external-api.md). Decoded by the charset parameter, UTF-8 when there is none.",
            Content = ContentTypes.ToDictionary(t => t, _ => new OpenApiMediaType { Schema = new OpenApiSchema() }),
        };
        return Task.CompletedTask;
    }
}
