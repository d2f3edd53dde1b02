namespace IntegrationHub.Scenarios;

internal static class ScenariosExtensions
{
    public static WebApplicationBuilder AddScenarios(this WebApplicationBuilder builder) => builder;

    public static WebApplication MapScenariosApi(this WebApplication app) => app;
}
