namespace IntegrationHub.ExternalApi;

internal static class ExternalApiExtensions
{
    public static WebApplicationBuilder AddExternalApi(this WebApplicationBuilder builder) => builder;

    public static WebApplication MapExternalApi(this WebApplication app) => app;
}
