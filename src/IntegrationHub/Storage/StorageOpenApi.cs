using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace IntegrationHub.Storage;

/// <summary>
/// What the OpenAPI document says of reading storage (<c>GET /api/v1/scenarios/{id}/storage</c>, and the external API's
/// <c>GetCacheData</c>) beyond the handlers' signatures: their 200 is one of two shapes, the stored value itself (any
/// JSON) with <c>keyJson</c>, a page of entries without.
/// </summary>
internal static class StorageOpenApi
{
    public static Task DescribeGetAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        DescribeValueOrPage(operation, nameof(StorageListPage));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Makes the 200, which the generator took for the page alone (the value is a <c>JsonElement</c>, any JSON, which it
    /// leaves out), either of the two, for a client to read.
    /// </summary>
    public static void DescribeValueOrPage(OpenApiOperation operation, string pageName)
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
                + $"Without: a page of the scenario's entries ({pageName}).";
            json.Schema = new OpenApiSchema
            {
                // anyOf, not oneOf: the stored value may be any JSON, a page-shaped object too.
                AnyOf = [page, new OpenApiSchema { Description = "The stored value (with keyJson)." }],
            };
        }
    }
}
