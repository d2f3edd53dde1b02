namespace IntegrationHub.Storage;

internal static class StorageExtensions
{
    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ScenarioStorage>();
        return builder;
    }

    public static WebApplication MapStorageApi(this WebApplication app)
    {
        app.MapStorageEndpoints();
        return app;
    }
}
