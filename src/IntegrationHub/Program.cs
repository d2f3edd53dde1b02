using IntegrationHub.Components;
using IntegrationHub.Connectors;
using IntegrationHub.Data;
using IntegrationHub.ExternalApi;
using IntegrationHub.Hosting;
using IntegrationHub.Housekeeping;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Scripting;
using IntegrationHub.Secrets;
using IntegrationHub.Storage;
using IntegrationHub.Telemetry;

// A failure its user can fix (a wrong setting, a port in use, an unreachable database) ends in one message and exit
// code 1; a surprise keeps its stack trace (Hosting/StartupFailure).
WebApplication app;
try
{
    var builder = WebApplication.CreateBuilder(ContentRoot.BuilderOptions(args));

    builder.AddHubHosting();
    builder.AddHubTelemetry();
    builder.AddHubDatabase();
    builder.AddSecrets();
    builder.AddHubIdentity();
    builder.AddScripting();
    builder.AddConnectors();
    builder.AddStorage();
    builder.AddScenarios();
    builder.AddRuns();
    builder.AddHousekeeping();
    builder.AddExternalApi();
    builder.AddWebApp();

    app = builder.Build();

    app.ValidateSettings();
    await app.MigrateHubDatabaseAsync();
    app.LoadSecretsKey();
    await app.ReencryptSecretsOfPreviousKeysAsync();
    await app.BootstrapIdentityAsync();

    app.UseHubHosting();
    app.UseHubIdentity();

    app.MapHubHosting();
    app.MapIdentityApi();
    app.MapScenariosApi();
    app.MapRunsApi();
    app.MapStorageApi();
    app.MapExternalApi();
    app.MapWebApp();

    await app.StartAsync();
}
catch (Exception exception) when (StartupFailure.IsExpected(exception, out var message))
{
    return StartupFailure.Report(message);
}

// Started: whatever fails from here on is not a failure to start, and keeps its trace.
await using (app)
{
    await app.WaitForShutdownAsync();
}
return 0;

/// <summary>The hub's entry point; public so tests and the benchmark can host it.</summary>
public partial class Program;
