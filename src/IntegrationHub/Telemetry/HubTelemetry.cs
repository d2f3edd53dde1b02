using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace IntegrationHub.Telemetry;

/// <summary>
/// The hub's own metrics (meter <see cref="MeterName"/>), readable at any time with <c>dotnet-counters monitor
/// --counters IntegrationHub</c>, and exported by OpenTelemetry together with ASP.NET Core's and the runtime's when an
/// OTLP endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, the standard OpenTelemetry variables).
/// </summary>
internal static class HubTelemetry
{
    public const string MeterName = "IntegrationHub";

    /// <summary>The configuration key that turns the export on, as every OpenTelemetry SDK reads it.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static WebApplicationBuilder AddHubTelemetry(this WebApplicationBuilder builder)
    {
        // Without an endpoint nothing listens: the instruments then cost a check per measurement and no more.
        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey]))
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService("IntegrationHub"))
                .WithMetrics(metrics => metrics
                    .AddMeter(MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddMeter("System.Runtime"))
                .UseOtlpExporter();
        }
        return builder;
    }
}
