namespace IntegrationHub.Scenarios;

internal static class ScenariosExtensions
{
    public static WebApplicationBuilder AddScenarios(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ScenarioTriggerCache>();
        builder.Services.AddSingleton<ScenarioSecrets>();
        builder.Services.AddScoped<ScenarioCommands>();
        builder.Services.AddSingleton<Secrets.IReencryptsSecrets, ScenarioSecretsReencryption>();
        return builder;
    }

    public static WebApplication MapScenariosApi(this WebApplication app)
    {
        app.MapScenarioEndpoints();
        return app;
    }
}
