namespace IntegrationHub.ExternalApi;

internal static class ExternalApiExtensions
{
    public static WebApplicationBuilder AddExternalApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ExternalApiOptions>()
            .BindConfiguration(ExternalApiOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return builder;
    }

    public static WebApplication MapExternalApi(this WebApplication app)
    {
        app.MapExternalApiEndpoints();
        return app;
    }
}
