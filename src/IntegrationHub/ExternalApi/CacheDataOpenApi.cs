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
        Storage.StorageOpenApi.DescribeValueOrPage(operation, nameof(CacheDataPage));
        return Task.CompletedTask;
    }
}
