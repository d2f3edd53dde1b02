namespace IntegrationHub.Hosting;

/// <summary>
/// Where the hub finds <c>appsettings.json</c> and <c>wwwroot</c>, and keeps a relative SQLite path (<c>data/</c> by
/// default). ASP.NET Core takes the current directory, which is the hub's folder under <c>dotnet run</c> and when a user
/// starts it in its folder, but not for a service or a user started elsewhere (<c>cd / &amp;&amp; dotnet
/// /opt/hub/IntegrationHub.dll</c>): that hub ran without its appsettings.json (EF logged every SQL statement, the
/// default <c>Information</c> level for everything) and created <c>data/</c> wherever it was started.
/// </summary>
internal static class ContentRoot
{
    /// <summary>
    /// The current directory when it holds the hub (its appsettings.json beside IntegrationHub.dll, or beside the
    /// project file under <c>dotnet run</c>) or the database of a hub started there before this rule came (an upgrade
    /// must not start on a new, empty database), otherwise the folder of IntegrationHub.dll. A content root set with
    /// <c>--contentRoot</c>, <c>ASPNETCORE_CONTENTROOT</c> or <c>DOTNET_CONTENTROOT</c> wins, and a host in another
    /// process (tests, the benchmark) keeps its own.
    /// </summary>
    public static WebApplicationOptions BuilderOptions(string[] args) => new()
    {
        Args = args,
        ContentRootPath = StartupFailure.IsHubProcess && !IsGiven(args)
            && !HoldsTheHub(Environment.CurrentDirectory) && !HoldsItsData(Environment.CurrentDirectory)
            ? AppContext.BaseDirectory
            : null,
    };

    private static bool HoldsTheHub(string folder) =>
        File.Exists(Path.Combine(folder, "appsettings.json"))
        && (File.Exists(Path.Combine(folder, "IntegrationHub.dll")) || File.Exists(Path.Combine(folder, "IntegrationHub.csproj")));

    /// <summary>The default SQLite database (<c>data/integrationhub.db</c>) of a hub that ran in the folder.</summary>
    private static bool HoldsItsData(string folder) => File.Exists(Path.Combine(folder, "data", "integrationhub.db"));

    /// <summary>Read as the host reads it.</summary>
    private static bool IsGiven(string[] args) =>
        new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build()[HostDefaults.ContentRootKey] is { Length: > 0 };
}
