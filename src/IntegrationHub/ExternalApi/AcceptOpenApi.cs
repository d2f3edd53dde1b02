using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace IntegrationHub.ExternalApi;

/// <summary>
/// What the OpenAPI document says of <c>/ExternalData/Accept</c> beyond what the handlers' signatures tell it: the
/// <c>wait</c> and <c>Idempotency-Key</c> inputs (read from the request, not bound), the <c>X-Run-Id</c> header and the
/// empty 200. The accepted content types are described here rather than with <c>Accepts</c> metadata, because routing
/// enforces that metadata: it would answer 415 before the caller's credentials and the scenario were checked.
/// </summary>
internal static class AcceptOpenApi
{
    /// <summary>The content types <c>POST /ExternalData/Accept</c> parses; any other is answered with 415.</summary>
    public static readonly string[] ContentTypes =
        ["application/json", "application/xml", "text/xml", "application/x-www-form-urlencoded", "multipart/form-data"];

    /// <summary>The errors both Accept methods answer; POST also reads a body, so it adds 413 and 415.</summary>
    public static readonly int[] Errors =
    [
        StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
        StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status429TooManyRequests,
        StatusCodes.Status503ServiceUnavailable,
    ];

    public static readonly int[] BodyErrors = [StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType];

    public static Task DescribeGetAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = "wait",
            In = ParameterLocation.Query,
            Description = "Seconds to hold the answer until the run ends, cut to ExternalApi:MaxWaitSeconds; "
                + "the answer is then the run's result as JSON. 0 is no wait: the empty 200 at once.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" },
        });
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = ExternalApiEndpoints.IdempotencyKeyHeader,
            In = ParameterLocation.Header,
            Description = "A repeated trigger with the same key from the same caller within 24 hours answers the first run's id "
                + "instead of queuing another. Keys are per caller; one header line.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = ExternalApiEndpoints.IdempotencyKeyMaxLength },
        });

        var runId = new OpenApiHeader
        {
            Description = "The id of the queued run (GET /api/v1/runs/{id}).",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
        };
        foreach (var (status, description) in new[]
        {
            ("200", "The run is stored. The body is empty, with no Content-Type, unless wait is 1 or more: then the run has "
                + "ended, and the body is its result as application/json, the RunResultResponse that 202 describes."),
            ("202", "With wait: the run is stored but still queued or running when the wait is up; Location is the run."),
        })
        {
            if (operation.Responses?.GetValueOrDefault(status) is OpenApiResponse response)
            {
                response.Description = description;
                response.Headers ??= new Dictionary<string, IOpenApiHeader>();
                response.Headers[ExternalApiEndpoints.RunIdHeader] = runId;
            }
        }
        // The 200 a trigger gets is empty (the seed's answer); declared as JSON, a generated client failed to parse it.
        // Only a caller that waits gets a body with it, and one that waits reads 202's as well.
        if (operation.Responses?.GetValueOrDefault("200") is OpenApiResponse ok)
        {
            ok.Content = null;
        }
        return Task.CompletedTask;
    }

    public static async Task DescribePostAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        await DescribeGetAsync(operation, context, cancellationToken);
        operation.RequestBody = new OpenApiRequestBody
        {
            // A POST without a body (and without Content-Type) queues a run with data[0].Body = null.
            Required = false,
            Description = "Given to the Source Script as data[0].Body: JSON as is, XML and forms turned into an object "
                + "(docs/external-api.md). Decoded by the charset parameter, UTF-8 when there is none.",
            Content = ContentTypes.ToDictionary(t => t, _ => new OpenApiMediaType { Schema = new OpenApiSchema() }),
        };
    }
}
