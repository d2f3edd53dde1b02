using Microsoft.AspNetCore.Http.Features;

namespace IntegrationHub.Hosting;

/// <summary>
/// How an endpoint with a body limit of its own (the trigger's <c>ExternalApi:MaxBodyBytes</c>, the storage PUT's
/// <c>Storage:MaxValueBytes</c>) holds a body to it. Kestrel's limit is set to it: Kestrel counts the bytes on the wire,
/// which bounds a compressed body that decodes to little (empty gzip members), read for as long as it was sent without.
/// The endpoint counts the decoded bytes itself as it reads them, because the request decompression took its limit
/// before the endpoint ran, and answers Kestrel's 413 (a <see cref="BadHttpRequestException"/>) with its own problem:
/// at the endpoint's limit, not its default of 30 MB, Kestrel never refuses a body the endpoint takes.
/// </summary>
internal static class RequestBodyLimit
{
    public static void Set(HttpContext context, long maxBytes)
    {
        // Read-only once the body has been read: too late to change then.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }
    }
}
