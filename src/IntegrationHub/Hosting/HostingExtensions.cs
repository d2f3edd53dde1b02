using Scalar.AspNetCore;

namespace IntegrationHub.Hosting;

internal static class HostingExtensions
{
    /// <summary>Where the hub listens when no address is configured, with <c>dotnet run</c> or <c>dotnet IntegrationHub.dll</c>.</summary>
    public const string DefaultUrl = "http://localhost:5080";

    public static WebApplicationBuilder AddHubHosting(this WebApplicationBuilder builder)
    {
        builder.QuietHostStartFailures();
        // The default address is set here, not as launchSettings.json's applicationUrl: under dotnet run that overrode
        // ASPNETCORE_URLS, so a user who asked for another port got 5080 anyway.
        var configuration = builder.Configuration;
        if (string.IsNullOrEmpty(configuration[WebHostDefaults.ServerUrlsKey]) && string.IsNullOrEmpty(configuration[WebHostDefaults.HttpPortsKey])
            && string.IsNullOrEmpty(configuration[WebHostDefaults.HttpsPortsKey]) && !configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<HubOptions>()
            .BindConfiguration(HubOptions.SectionName)
            .Validate(o => o.PublicUrl is null || Uri.TryCreate(o.PublicUrl, UriKind.Absolute, out _), "Hub:PublicUrl must be an absolute URL.")
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<HostOptions>()
            .Configure<Microsoft.Extensions.Options.IOptions<HubOptions>>((host, hub) => host.ShutdownTimeout = hub.Value.ShutdownTimeout);
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemDefaults.Complete);
        ApiProblemWriter.Replace(builder.Services);
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Without it a JSON body that does not bind is a bare 400; thrown, BadRequestExceptionHandler says where it breaks.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi(HubOpenApi.Configure);
        builder.Services.AddHealthChecks();
        builder.Services.AddRequestContentCoding();
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            // Enums by name only: a number ("role": 3) is refused rather than taken as whatever the enum's order says.
            options.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(allowIntegerValues: false));
            options.SerializerOptions.Converters.Add(new StringWithoutNulConverter());
            options.SerializerOptions.Converters.Add(new WholeNumberConverter());
            // Answers carry stored values and run results, which may nest as deep as the hub allows.
            options.SerializerOptions.MaxDepth = Data.HubJson.MaxDepth;
            // {"name":"a","name":"b"} was saved as "b": a body that says two things is refused, naming the property.
            // Only the management API's bodies are read with these options; a trigger's body is the caller's data.
            options.SerializerOptions.AllowDuplicateProperties = false;
        });
        return builder;
    }

    /// <summary>
    /// Checks every section registered with <c>ValidateOnStart</c> now, before the database is migrated or its first
    /// admin created. The host would check them only when it starts, after both: a wrong <c>Runs:Concurrency</c> was
    /// reported once a new database had been created and migrated.
    /// </summary>
    public static WebApplication ValidateSettings(this WebApplication app)
    {
        app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
        ValidateUrls(app.Configuration[WebHostDefaults.ServerUrlsKey]);
        return app;
    }

    /// <summary>
    /// Checks that every address of <c>Urls</c> is one Kestrel can listen on. Kestrel reads them only when it binds,
    /// after the database was migrated, and then threw a bare "Invalid url: 'garbage'" or "Specified argument was out
    /// of the range of valid values. (Parameter 'port')" with a stack trace, which did not say which setting was wrong.
    /// </summary>
    internal static void ValidateUrls(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string? problem;
            try
            {
                var address = BindingAddress.Parse(url);
                problem = address.IsUnixPipe || address.IsNamedPipe || address.Port is >= 0 and <= 65535
                    ? null
                    : $"its port {address.Port} is not between 0 and 65535";
            }
            catch (FormatException ex)
            {
                problem = ex.Message.TrimEnd('.');
            }
            if (problem is not null)
            {
                throw new StartupException($"Urls (ASPNETCORE_URLS, --urls) holds '{url}', which is not an address the hub can listen on: "
                    + $"{problem}. Give one or more addresses separated by ';', such as http://0.0.0.0:5080 or http://localhost:5080.");
            }
        }
    }

    public static WebApplication UseHubHosting(this WebApplication app)
    {
        app.LogHostFailuresOnceStarted();
        // Unhandled exceptions and bare status codes (404, 405, 415...) leave as RFC 7807 problem details, or as a page
        // for a browser (BrowserErrorPage); exceptions about the request (too large, a form over its limits) as 4xx,
        // see BadRequestExceptionHandler.
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseBrowserErrorPages();
        app.UseRequestContentCoding();
        app.UseUnquotedJsonCharset();
        return app;
    }

    public static WebApplication MapHubHosting(this WebApplication app)
    {
        app.MapOpenApi();
        // Nothing from or to Scalar's servers: a self-hosted hub may not reach, or want to call, a third party. So its
        // own fonts, no telemetry, no AI chat or MCP (which send the API's description out), and no developer tools
        // toolbar, whose "Generate SDK" and "Deploy" offers are Scalar's services.
        app.MapScalarApiReference("/api/reference", options => options
            .WithTitle("IntegrationHub API")
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp()
            .HideDeveloperTools());
        // Ready: the node and its database answer. Live: the process answers, for probes that restart what fails them.
        app.MapHealthChecks("/health");
        app.MapHealthChecks("/health/live", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = _ => false });
        return app;
    }
}
