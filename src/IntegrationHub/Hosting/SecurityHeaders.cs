namespace IntegrationHub.Hosting;

/// <summary>
/// Headers every answer carries: no page of the hub may be framed by another site (its buttons delete, disable and
/// regenerate), no answer is sniffed into another content type, and the pages run only the hub's own script files, so
/// that text a scenario, a run or a stored value brought in could not run as script even if a page ever failed to
/// escape it.
/// </summary>
internal static class SecurityHeaders
{
    // Inline styles stay allowed: the pages and the script editor set style attributes.
    private const string PagePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
        + "base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    // The API reference page (Scalar) configures itself with an inline script.
    private const string ApiReferencePolicy = "frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        // Set before the rest of the pipeline runs: antiforgery adds its own X-Frame-Options only where none is set.
        var headers = context.Response.Headers;
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/api/reference") ? ApiReferencePolicy : PagePolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        return next(context);
    });
}
