using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;

namespace IntegrationHub.Identity;

internal static class IdentityExtensions
{
    public static WebApplicationBuilder AddHubIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddMemoryCache();
        services.AddOptions<BootstrapOptions>()
            .BindConfiguration(BootstrapOptions.SectionName)
            .Validate(o => o.AdminToken is null || o.AdminToken.Length >= AccessTokenFormat.MinimumProvisionedLength,
                $"Bootstrap:AdminToken must be at least {AccessTokenFormat.MinimumProvisionedLength} characters.")
            .Validate(o => o.AdminToken is null || !string.IsNullOrWhiteSpace(o.AdminEmail),
                "Bootstrap:AdminToken needs Bootstrap:AdminEmail.")
            .ValidateOnStart();
        services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        services.AddSingleton<IdentityBootstrapper>();

        services.AddAuthentication(HubSchemes.Hub)
            .AddPolicyScheme(HubSchemes.Hub, "Token, Azure AD or cookie", options =>
                options.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, AccessTokenAuthenticationHandler>(HubSchemes.AccessToken, null)
            .AddCookie(HubSchemes.Cookie, options =>
            {
                options.Cookie.Name = "IntegrationHub.Auth";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.LoginPath = "/account/login";
                options.LogoutPath = "/account/logout";
                options.AccessDeniedPath = "/account/denied";
                options.SlidingExpiration = true;
                options.ExpireTimeSpan = TimeSpan.FromDays(7);
                // Machines calling the API get status codes, people in the browser get the sign-in page.
                options.Events.OnRedirectToLogin = context => AnswerApiOr(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => AnswerApiOr(context, StatusCodes.Status403Forbidden);
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(HubPolicies.Viewer, p => p.RequireAssertion(c => HubCaller.From(c.User)?.Role >= UserRole.Viewer))
            .AddPolicy(HubPolicies.Operator, p => p.RequireAssertion(c => HubCaller.From(c.User)?.Role >= UserRole.Operator))
            .AddPolicy(HubPolicies.Editor, p => p.RequireAssertion(c => HubCaller.From(c.User)?.Role >= UserRole.Editor))
            .AddPolicy(HubPolicies.Admin, p => p.RequireAssertion(c => HubCaller.From(c.User)?.Role >= UserRole.Admin))
            .AddPolicy(HubPolicies.InstallationAdmin, p => p.RequireAssertion(c => HubCaller.From(c.User)?.IsInstallationAdmin == true));
        return builder;
    }

    /// <summary>Creates the default workspace and, from Bootstrap:* settings, the first admin.</summary>
    public static Task BootstrapIdentityAsync(this WebApplication app) =>
        app.Services.GetRequiredService<IdentityBootstrapper>().RunAsync(app.Lifetime.ApplicationStopping);

    public static WebApplication UseHubIdentity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    public static WebApplication MapIdentityApi(this WebApplication app)
    {
        app.MapMeApi();
        return app;
    }

    /// <summary>A bearer header means a token (personal or Azure AD); anything else is the browser's cookie.</summary>
    private static string SelectScheme(HttpContext context) =>
        context.Request.Headers.Authorization.Count > 0 ? HubSchemes.AccessToken : HubSchemes.Cookie;

    private static Task AnswerApiOr(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
    {
        if (IsApiRequest(context.Request))
        {
            context.Response.StatusCode = status;
            if (status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
            }
            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    internal static bool IsApiRequest(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/ExternalData");
}
