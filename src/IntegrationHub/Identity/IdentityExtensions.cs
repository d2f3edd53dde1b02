using IntegrationHub.Data;
using IntegrationHub.Hosting;
using IntegrationHub.Secrets;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Identity;

internal static class IdentityExtensions
{
    /// <summary>How long a browser stays signed in without using the hub (the cookie's expiration slides).</summary>
    internal static readonly TimeSpan CookieLifetime = TimeSpan.FromDays(7);

    /// <summary>The sign-in cookie's name, which the OpenAPI document names too.</summary>
    internal const string CookieName = "IntegrationHub.Auth";

    public static WebApplicationBuilder AddHubIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddMemoryCache();
        // Checked when first read, not on every start: the bootstrapper reads them only while no user exists, and once one
        // does they are ignored, so an operator may drop the password or token after the first start without a failed start.
        services.AddOptions<BootstrapOptions>()
            .BindConfiguration(BootstrapOptions.SectionName)
            .Validate(o => string.IsNullOrWhiteSpace(o.AdminEmail) || !string.IsNullOrEmpty(o.AdminPassword) || !string.IsNullOrEmpty(o.AdminToken),
                "Bootstrap:AdminEmail needs Bootstrap:AdminPassword or Bootstrap:AdminToken (or both): without either no one could "
                + "sign in as the first admin, and setup would be closed for good.")
            .Validate(o => string.IsNullOrEmpty(o.AdminToken) || o.AdminToken.Length >= AccessTokenFormat.MinimumProvisionedLength,
                $"Bootstrap:AdminToken must be at least {AccessTokenFormat.MinimumProvisionedLength} characters.")
            .Validate(o => string.IsNullOrEmpty(o.AdminToken) || !string.IsNullOrWhiteSpace(o.AdminEmail),
                "Bootstrap:AdminToken needs Bootstrap:AdminEmail.")
            .Validate(o => string.IsNullOrWhiteSpace(o.AdminEmail) || CredentialRules.CheckEmail(o.AdminEmail) is null,
                "Bootstrap:AdminEmail is not a valid email address.")
            .Validate(o => string.IsNullOrEmpty(o.AdminPassword) || CredentialRules.CheckPassword(o.AdminPassword, o.AdminEmail) is null,
                $"Bootstrap:AdminPassword must be {CredentialRules.MinimumPasswordLength} to {CredentialRules.MaximumPasswordLength} characters and not the email.");

        // The scheme set is fixed when the app is built, so the AzureAd section is read (and checked) here, not later.
        var azureAd = builder.Configuration.GetSection(AzureAdOptions.SectionName).Get<AzureAdOptions>() ?? new AzureAdOptions();
        if (azureAd.Problem() is { } problem)
        {
            throw new OptionsValidationException(AzureAdOptions.SectionName, typeof(AzureAdOptions), [problem]);
        }
        services.AddSingleton(Options.Create(azureAd));

        services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        services.AddSingleton<IdentityBootstrapper>();
        services.AddSingleton<FirstRunSetup>();
        services.AddSingleton<AccountSignIn>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<TokenFormNonces>();
        services.AddSingleton<CookieSessionValidator>();
        services.AddSingleton<CookieSessionStore>();
        services.AddOptions<CookieAuthenticationOptions>(HubSchemes.Cookie)
            .Configure<CookieSessionStore, IDataProtectionProvider>((options, store, protection) =>
            {
                options.SessionStore = store;
                options.TicketDataFormat = CookieFormat(protection);
            });
        services.AddOptions<CookieAuthenticationOptions>(HubSchemes.NewSession)
            .Configure<CookieSessionStore, IDataProtectionProvider>((options, store, protection) =>
            {
                options.SessionStore = new FreshSessionStore(store);
                options.TicketDataFormat = CookieFormat(protection);
            });
        services.AddSingleton<DefaultWorkspace>();
        services.AddScoped<PersonalAccessTokens>();
        services.AddScoped<UserDirectory>();

        // Keys in the database: cookies and antiforgery tokens survive restarts and work on every node. Encrypted with
        // Secrets:Key, or whoever reads the database (a backup) could make a sign-in cookie.
        services.AddDataProtection()
            .PersistKeysToDbContext<HubDbContext>()
            .SetApplicationName("IntegrationHub")
            .ProtectKeysWithSecretsKey();

        var authentication = services.AddAuthentication(HubSchemes.Hub)
            .AddPolicyScheme(HubSchemes.Hub, "Token, Azure AD or cookie", options =>
                options.ForwardDefaultSelector = context => SelectScheme(context, azureAd.IsEnabled))
            .AddScheme<AuthenticationSchemeOptions, AccessTokenAuthenticationHandler>(HubSchemes.AccessToken, null)
            .AddCookie(HubSchemes.NewSession, ConfigureCookie)
            .AddCookie(HubSchemes.Cookie, options =>
            {
                ConfigureCookie(options);
                options.LoginPath = AccountPaths.Login;
                options.LogoutPath = AccountPaths.Logout;
                options.AccessDeniedPath = AccountPaths.Denied;
                // Machines calling the API get status codes, people in the browser get the sign-in page.
                options.Events.OnRedirectToLogin = context => AnswerApiOr(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => AnswerApiOr(context, StatusCodes.Status403Forbidden);
                options.Events.OnValidatePrincipal = context =>
                    context.HttpContext.RequestServices.GetRequiredService<CookieSessionValidator>().ValidateAsync(context);
            });
        if (azureAd.IsEnabled)
        {
            authentication.AddAzureAd(azureAd);
        }

        services.AddAuthorizationBuilder()
            .AddPolicy(HubPolicies.Viewer, p => p.RequireAssertion(c => HubCaller.From(c.User)?.Role >= UserRole.Viewer))
            .AddPolicy(HubPolicies.Operator, p => p.RequireAssertion(c => HubCaller.From(c.User)?.Role >= UserRole.Operator))
            .AddPolicy(HubPolicies.Editor, p => p.RequireAssertion(c => HubCaller.From(c.User)?.Role >= UserRole.Editor))
            .AddPolicy(HubPolicies.Admin, p => p.RequireAssertion(c => HubCaller.From(c.User)?.Role >= UserRole.Admin))
            .AddPolicy(HubPolicies.InstallationAdmin, p => p.RequireAssertion(c => HubCaller.From(c.User)?.IsInstallationAdmin == true));
        return builder;
    }

    /// <summary>
    /// Creates the default workspace and, from Bootstrap:* settings, the first admin; without either and without users,
    /// opens first-run setup and prints its link once the server listens.
    /// </summary>
    public static async Task BootstrapIdentityAsync(this WebApplication app)
    {
        var stopping = app.Lifetime.ApplicationStopping;
        await app.Services.GetRequiredService<IdentityBootstrapper>().RunAsync(stopping);
        await CheckAzureAdWorkspaceAsync(app, stopping);

        var setup = app.Services.GetRequiredService<FirstRunSetup>();
        if (await setup.StartAsync(stopping) is { } code)
        {
            // The server's address is known only once it listens.
            app.Lifetime.ApplicationStarted.Register(() => setup.Announce(PublicBaseUrl(app), code));
        }
    }

    /// <summary>The cookie both cookie schemes write: <see cref="HubSchemes.Cookie"/> reads what <see cref="HubSchemes.NewSession"/> issues.</summary>
    private static void ConfigureCookie(CookieAuthenticationOptions options)
    {
        options.Cookie.Name = CookieName;
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Lax;
        options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.SlidingExpiration = true;
        options.ExpireTimeSpan = CookieLifetime;
    }

    /// <summary>
    /// The cookie's protection, shared by both cookie schemes; the purposes are those ASP.NET Core gives
    /// <see cref="HubSchemes.Cookie"/> by default, so cookies issued before stay readable.
    /// </summary>
    private static TicketDataFormat CookieFormat(IDataProtectionProvider protection) =>
        new(protection.CreateProtector("Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware", HubSchemes.Cookie, "v2"));

    public static WebApplication UseHubIdentity(this WebApplication app)
    {
        app.UseAuthentication();
        // After authentication, which tells a cookie's caller from a token's; before anything acts on the request.
        app.UseMiddleware<CrossSiteCookieGuard>();
        app.UseAuthorization();
        return app;
    }

    public static WebApplication MapIdentityApi(this WebApplication app)
    {
        app.MapMeApi();
        app.MapAccessTokenApi();
        app.MapSetupApi();
        app.MapAccountApi();
        app.MapUsersApi();
        app.MapWorkspacesApi();
        if (app.Services.GetRequiredService<IOptions<AzureAdOptions>>().Value.IsInteractiveSignInEnabled)
        {
            app.MapMicrosoftSignIn();
        }
        return app;
    }

    /// <summary>
    /// A bearer value shaped like a JWT (three dot-separated parts) is an Azure AD token when Azure AD is on; any other
    /// Authorization header is a personal access token; no header means the browser's cookie.
    /// </summary>
    internal static string SelectScheme(HttpContext context, bool azureAdEnabled)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count == 0)
        {
            return HubSchemes.Cookie;
        }
        return azureAdEnabled && AccessTokenAuthenticationHandler.TryReadBearer(header.ToString(), out var token) && LooksLikeJwt(token)
            ? HubSchemes.AzureAd
            : HubSchemes.AccessToken;
    }

    private static bool LooksLikeJwt(string token) => token.Count(c => c == '.') == 2;

    private static Task AnswerApiOr(RedirectContext<CookieAuthenticationOptions> context, int status)
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

    /// <summary><c>Hub:PublicUrl</c>, else the first address the server listens on (a wildcard host shown as localhost).</summary>
    private static string PublicBaseUrl(WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<HubOptions>>().Value.PublicUrl is { Length: > 0 } publicUrl)
        {
            return publicUrl;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? "http://localhost:5080";
        return address.Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal);
    }

    /// <summary>A configured AzureAd:WorkspaceId that does not exist would let every Azure AD caller in to nothing; fail the start instead.</summary>
    private static async Task CheckAzureAdWorkspaceAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var azureAd = app.Services.GetRequiredService<IOptions<AzureAdOptions>>().Value;
        if (!azureAd.IsEnabled || azureAd.WorkspaceId is not { } workspaceId)
        {
            return;
        }
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<HubDbContext>>().CreateDbContextAsync(cancellationToken);
        if (!await db.Workspaces.AnyAsync(w => w.Id == workspaceId, cancellationToken))
        {
            throw new OptionsValidationException(AzureAdOptions.SectionName, typeof(AzureAdOptions),
                [$"AzureAd:WorkspaceId {workspaceId} is not a workspace of this hub."]);
        }
    }
}
