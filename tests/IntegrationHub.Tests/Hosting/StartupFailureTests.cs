using System.Net;
using System.Net.Sockets;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Hosting;

/// <summary>The hub as its own process with a setting, or a machine, it cannot start with.</summary>
public sealed class StartupFailureTests
{
    [Theory]
    [InlineData("Database__Provider", "Mysql", "Database:Provider")]
    [InlineData("ConnectionStrings__Hub", "Data Sourc=foo.db", "ConnectionStrings:Hub")]
    [InlineData("Database__Provider", "Postgres", "ConnectionStrings:Hub is empty")]
    [InlineData("Runs__Concurrency", "0", "Runs:Concurrency")]
    public async Task Start_WithAWrongSetting_ExitsWith1AndAMessageNamingTheKey_BeforeTouchingTheDatabase(string variable, string value, string named)
    {
        var settings = new Dictionary<string, string> { [variable] = value };
        if (value == "Postgres")
        {
            settings["ConnectionStrings__Hub"] = "";
        }

        var hub = await HubProcess.RunUntilExitAsync(settings);

        AssertOneMessage(hub, named);
        Assert.Empty(Directory.GetFiles(hub.Folder));
    }

    [Fact]
    public async Task Start_WithAWrongBootstrapSetting_OnADatabaseWithoutUsers_ExitsWith1AndAMessageNamingTheKey()
    {
        // Bootstrap settings count only while no user exists (they are ignored afterwards), so they are checked once the
        // database says so: the hub creates it first, and the next start with the setting fixed takes it over.
        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string> { ["Bootstrap__AdminToken"] = "short" });

        AssertOneMessage(hub, "Bootstrap:AdminToken");
    }

    [Fact]
    public async Task Start_WithADataFolderItMayNotCreate_ExitsWith1AndSaysSo()
    {
        // Linux: /proc takes no new folders, not even root's.
        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string> { ["ConnectionStrings__Hub"] = "Data Source=/proc/hub-data/hub.db" });

        AssertOneMessage(hub, "the folder /proc/hub-data of the SQLite database (ConnectionStrings:Hub) cannot be created");
    }

    [Fact]
    public async Task Start_WithADataFolderItMayNotWrite_ExitsWith1AndSaysToCheckPermissions()
    {
        // Linux: /proc exists and takes no new files, not even root's: SQLite Error 14.
        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string> { ["ConnectionStrings__Hub"] = "Data Source=/proc/hub.db" });

        AssertOneMessage(hub, "the SQLite database /proc/hub.db (ConnectionStrings:Hub) cannot be opened or written");
        Assert.Contains("may write to /proc", hub.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_OnAPortInUse_ExitsWith1AndSaysWhichAddress()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string> { ["Urls"] = address });

        AssertOneMessage(hub, $"Failed to bind to address {address}: address already in use.");
        Assert.Contains("Urls", hub.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithPostgresUnreachable_ExitsWith1AndNamesTheServer()
    {
        var port = HubProcess.FreePort();

        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Hub"] = $"Host=127.0.0.1;Port={port};Database=hub;Username=hub;Password=hub;Timeout=5",
        });

        AssertOneMessage(hub, $"PostgreSQL at 127.0.0.1:{port}, database hub (ConnectionStrings:Hub) cannot be reached");
    }

    private static void AssertOneMessage(HubProcess.ExitedHub hub, string expected)
    {
        Assert.True(hub.ExitCode == 1, $"Exit code {hub.ExitCode}. Output:{Environment.NewLine}{hub.Output}");
        Assert.Contains("IntegrationHub could not start: ", hub.Output, StringComparison.Ordinal);
        Assert.Contains(expected, hub.Output, StringComparison.Ordinal);
        // No stack trace, of the exception or of a log entry.
        Assert.DoesNotContain("Unhandled exception", hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", hub.Output, StringComparison.Ordinal);
    }
}
