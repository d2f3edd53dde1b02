namespace IntegrationHub.Housekeeping;

internal static class HousekeepingExtensions
{
    public static WebApplicationBuilder AddHousekeeping(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HousekeepingOptions>()
            .BindConfiguration(HousekeepingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<Housekeeper>();
        builder.Services.AddHostedService<HousekeepingService>();
        return builder;
    }
}
