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
    /// <c>Origin</c> whose host and port are neither the request's nor <c>Hub:PublicUrl</c>'s counts (another port is
    /// another origin, and may be another application), sibling subdomains included
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
        var requestPort = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        return !IsAt(from, request.Host.Host, requestPort)
            && !(Uri.TryCreate(publicUrl, UriKind.Absolute, out var hub) && IsAt(from, hub.Host, hub.Port));
    }

    private static bool IsAt(Uri origin, string host, int port) =>
        origin.Port == port && string.Equals(origin.Host, host, StringComparison.OrdinalIgnoreCase);
}
