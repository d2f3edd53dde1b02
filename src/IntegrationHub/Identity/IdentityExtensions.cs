namespace IntegrationHub.Identity;

internal static class IdentityExtensions
{
    public static WebApplicationBuilder AddHubIdentity(this WebApplicationBuilder builder)
    {
        // Schemes (personal access token, Azure AD, cookie) and role policies: to be written.
        builder.Services.AddAuthentication();
        builder.Services.AddAuthorization();
        return builder;
    }

    /// <summary>Creates the default workspace and, from Bootstrap:* settings, the first admin.</summary>
    public static Task BootstrapIdentityAsync(this WebApplication app) => Task.CompletedTask;

    public static WebApplication UseHubIdentity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    public static WebApplication MapIdentityApi(this WebApplication app) => app;
}
