namespace IntegrationHub.Hosting;

/// <summary>
/// Headers every answer carries: no page of the hub may be framed by another site (its buttons delete, disable and
/// regenerate), and no answer is sniffed into another content type.
/// </summary>
internal static class SecurityHeaders
{
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        // Set before the rest of the pipeline runs: antiforgery adds its own X-Frame-Options only where none is set.
        var headers = context.Response.Headers;
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = "frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        return next(context);
    });
}
