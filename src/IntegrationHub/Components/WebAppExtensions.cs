namespace IntegrationHub.Components;

internal static class WebAppExtensions
{
    public static WebApplicationBuilder AddWebApp(this WebApplicationBuilder builder) => builder;

    public static WebApplication MapWebApp(this WebApplication app) => app;
}
