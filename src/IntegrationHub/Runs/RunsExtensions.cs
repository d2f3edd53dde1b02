namespace IntegrationHub.Runs;

internal static class RunsExtensions
{
    public static WebApplicationBuilder AddRuns(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RunsOptions>()
            .BindConfiguration(RunsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<RunSignals>();
        builder.Services.AddSingleton<RunQueue>();
        builder.Services.AddScoped<RunCancellation>();
        builder.Services.AddScoped<RunRequests>();
        builder.Services.AddSingleton<RunStore>();
        builder.Services.AddSingleton<RunCompleter>();
        builder.Services.AddSingleton<RunExecutor>();
        builder.Services.AddSingleton<ScenarioSnapshots>();
        builder.Services.AddSingleton<RunWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RunWorker>());
        builder.Services.AddHostedService<RunNotificationListener>();
        builder.Services.AddSingleton<RunScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RunScheduler>());
        return builder;
    }

    public static WebApplication MapRunsApi(this WebApplication app)
    {
        app.MapRunsEndpoints();
        return app;
    }
}
