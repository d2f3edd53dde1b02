namespace IntegrationHub.Scripting;

internal static class ScriptingExtensions
{
    public static WebApplicationBuilder AddScripting(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ScriptSandbox>();
        return builder;
    }
}
