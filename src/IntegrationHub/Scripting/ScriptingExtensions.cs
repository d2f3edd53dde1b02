namespace IntegrationHub.Scripting;

internal static class ScriptingExtensions
{
    public static WebApplicationBuilder AddScripting(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ScriptingOptions>()
            .BindConfiguration(ScriptingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ScriptSandbox>();
        return builder;
    }
}
