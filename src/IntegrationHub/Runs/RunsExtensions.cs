namespace IntegrationHub.Runs;

internal static class RunsExtensions
{
    public static WebApplicationBuilder AddRuns(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RunQueue>();
        builder.Services.AddSingleton<RunExecutor>();
        return builder;
    }

    public static WebApplication MapRunsApi(this WebApplication app) => app;
}
