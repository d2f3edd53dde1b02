using IntegrationHub.Hosting;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Identity;

/// <summary>
/// Where a browser says a request came from: Fetch Metadata's <c>Sec-Fetch-Site</c>, or, from a browser too old to send
/// it, the <c>Origin</c> header. A request with neither (curl, another server) says nothing and is never judged foreign.
/// </summary>
internal static class RequestOrigin
{
    private const string FetchSiteHeader = "Sec-Fetch-Site";

    /// <summary>
    /// True when a page of another site made the browser send the request (<c>Sec-Fetch-Site: cross-site</c>), and with
    /// <paramref name="sameSiteToo"/> also one of a sibling subdomain (<c>same-site</c>). Without Fetch Metadata, an
    /// <c>Origin</c> whose host is neither the request's nor <c>Hub:PublicUrl</c>'s counts, sibling subdomains included
    /// (telling a site from a host needs the public suffix list), and so does <c>Origin: null</c>: an opaque origin (a
    /// sandboxed frame, a <c>data:</c> URL) is what a page that hides where it comes from sends.
    /// </summary>
    public static bool IsFromAnotherSite(HttpRequest request, bool sameSiteToo)
    {
        var fetchSite = request.Headers[FetchSiteHeader].ToString();
        if (fetchSite.Length > 0)
        {
            // same-origin, and none (typed, bookmarked): the person's own doing.
            return fetchSite.Equals("cross-site", StringComparison.OrdinalIgnoreCase)
                || (sameSiteToo && fetchSite.Equals("same-site", StringComparison.OrdinalIgnoreCase));
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return false;
        }
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var from))
        {
            return true;
        }
        // The public URL too: behind a proxy that rewrites Host, the browser's origin is the public one.
        var publicUrl = request.HttpContext.RequestServices.GetService<IOptions<HubOptions>>()?.Value.PublicUrl;
        return !string.Equals(from.Host, request.Host.Host, StringComparison.OrdinalIgnoreCase)
            && !(Uri.TryCreate(publicUrl, UriKind.Absolute, out var hub) && string.Equals(from.Host, hub.Host, StringComparison.OrdinalIgnoreCase));
    }
}
