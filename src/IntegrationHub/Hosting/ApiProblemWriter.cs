namespace IntegrationHub.Hosting;

/// <summary>
/// Writes every problem of the API's addresses (<c>/api</c>, <c>/ExternalData</c>) as application/problem+json,
/// whatever the request's Accept says; elsewhere it leaves the choice to ASP.NET Core's writer, which writes JSON only
/// to a client that accepts it. An API client that sent <c>Accept: application/xml</c> or <c>text/html</c> got an empty
/// 400 for a malformed body (logged as an unhandled exception), a validation problem without its detail, and
/// "Status Code: 401; Unauthorized" as text for the bare status codes. The hub has no other format to offer, and a
/// problem in JSON serves such a client better than nothing or a 406.
/// </summary>
internal sealed class ApiProblemWriter(IProblemDetailsWriter framework) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => IsApi(context.HttpContext.Request) || framework.CanWrite(context);

    // ASP.NET Core's writer checks the Accept only in CanWrite: writing, it completes and serializes the problem as
    // for any other client (ProblemDefaults included).
    public ValueTask WriteAsync(ProblemDetailsContext context) => framework.WriteAsync(context);

    /// <summary>Whether the request is the API's, whose errors are problem details and never a page.</summary>
    public static bool IsApi(HttpRequest request) => Identity.IdentityExtensions.IsApiRequest(request);

    /// <summary>Puts this writer in place of the one <c>AddProblemDetails</c> registered, wrapping it.</summary>
    public static void Replace(IServiceCollection services)
    {
        var registered = services.Single(d => d.ServiceType == typeof(IProblemDetailsWriter));
        var frameworkType = registered.ImplementationType
            ?? throw new InvalidOperationException("AddProblemDetails registered its writer without a type; ApiProblemWriter cannot wrap it.");
        services.Remove(registered);
        services.AddSingleton<IProblemDetailsWriter>(provider =>
            new ApiProblemWriter((IProblemDetailsWriter)ActivatorUtilities.CreateInstance(provider, frameworkType)));
    }
}
