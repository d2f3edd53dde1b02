using IntegrationHub.Identity;

namespace IntegrationHub.Components;

/// <summary>The web app: Blazor pages rendered on the server (static SSR), served by the hub itself.</summary>
internal static class WebAppExtensions
{
    public static WebApplicationBuilder AddWebApp(this WebApplicationBuilder builder)
    {
        // Static server rendering only: every page is a plain HTML form post or link, so the app works without
        // a circuit per user, behind any proxy, and on every hub node alike.
        // Serves the framework's and packages' static assets (blazor.web.js) from the build output in every environment,
        // not only Development: tests run as "Testing", and `dotnet run` may run as Production. A published app has
        // them copied into wwwroot and no manifest, and then this does nothing.
        builder.WebHost.UseStaticWebAssets();
        // From build output MapStaticAssets would also reload assets changed at runtime, through a GET/HEAD fallback
        // route over every path: routing then answered any other method on an unknown path with 405 "allowed: GET,
        // HEAD", and a GET to a POST-only endpoint with 404 instead of 405. The hub's assets change only with a build.
        builder.Configuration.AddInMemoryCollection([new("ReloadStaticAssetsAtRuntime", "false")]);
        builder.Services.AddRazorComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "IntegrationHub.Antiforgery";
            options.Cookie.SameSite = SameSiteMode.Strict;
        });
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<FlashMessages>();
        return builder;
    }

    public static WebApplication MapWebApp(this WebApplication app)
    {
        app.MapStaticAssets();
        // After authentication (UseHubIdentity), so the antiforgery token is bound to the signed-in user.
        app.UseAntiforgery();
        app.MapRazorComponents<App>()
            .Finally(endpoint =>
            {
                // The identity API answers POST /account/login with JSON for API clients; the sign-in page there is
                // GET only and its form posts to /account/sign-in, so the two never compete for one request.
                if (endpoint is RouteEndpointBuilder { RoutePattern.RawText: AccountPaths.Login })
                {
                    endpoint.Metadata.Add(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]));
                }
            });
        return app;
    }
}
