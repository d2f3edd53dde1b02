namespace IntegrationHub.Connectors;

internal static class ConnectorsExtensions
{
    public static WebApplicationBuilder AddConnectors(this WebApplicationBuilder builder) => builder;
}
