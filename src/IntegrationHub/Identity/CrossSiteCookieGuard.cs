namespace IntegrationHub.Identity;

/// <summary>
/// Refuses a change to <c>/api/v1</c> (POST, PUT, PATCH, DELETE) that the browser's cookie authenticates when a page of
/// another site, or of a sibling subdomain, made the browser send it (cross-site request forgery). The SameSite=Lax cookie
/// still comes along with a form a page of another site posts at the top level, and with any request from a sibling
/// subdomain: without this, such a page could disable users, trigger or cancel runs or regenerate tokens as the person.
/// Bearer tokens are not judged: a browser never sends one on its own. Requests saying nothing of where they came from
/// (curl, servers) are not either: see <see cref="RequestOrigin"/>.
/// </summary>
internal sealed partial class CrossSiteCookieGuard(RequestDelegate next, ILogger<CrossSiteCookieGuard> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (IsCookieChangeFromAnotherSite(context))
        {
            LogRefused(logger, context.Request.Method, context.Request.Path);
            await IdentityProblems.CookieFromAnotherSite().ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    /// <summary>Runs after authentication: without an <c>Authorization</c> header, a signed-in caller is the cookie's.</summary>
    private static bool IsCookieChangeFromAnotherSite(HttpContext context)
    {
        var request = context.Request;
        return request.Path.StartsWithSegments("/api/v1")
            && !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
            && request.Headers.Authorization.Count == 0
            && context.User.Identity?.IsAuthenticated == true
            && RequestOrigin.IsFromAnotherSite(request, sameSiteToo: true);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} {Path}: a page of another site sent it with the sign-in cookie")]
    private static partial void LogRefused(ILogger logger, string method, PathString path);
}
