using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace IntegrationHub.ExternalApi;

/// <summary>
/// What the OpenAPI document says of <c>/ExternalData/GetCacheData</c> beyond the handler's signature: its 200 is one of
/// two shapes, the stored value itself (any JSON) with <c>keyJson</c>, a page of entries without.
/// </summary>
internal static class CacheDataOpenApi
{
    /// <summary>The errors GetCacheData answers: bad keyJson or paging, credentials, role, no such scenario or key, database down.</summary>
    public static readonly int[] Errors =
    [
        StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
        StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable,
    ];

    public static Task DescribeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter { Name: "keyJson" } keyJson)
            {
                keyJson.Description = "The key as JSON, e.g. 42, \"abc\" or [\"north\", 7]. Without it the answer is a page of all entries.";
            }
        }
        if (operation.Responses?.GetValueOrDefault("200") is OpenApiResponse ok
            && ok.Content?.TryGetValue("application/json", out var json) == true && json.Schema is { } page)
        {
            ok.Description = "With keyJson: the JSON value stored under that key, as it was stored (any JSON value). "
                + "Without: a page of the scenario's entries (CacheDataPage).";
            json.Schema = new OpenApiSchema
            {
                AnyOf = [page, new OpenApiSchema { Description = "The stored value (with keyJson)." }],
            };
        }
        return Task.CompletedTask;
    }
}
