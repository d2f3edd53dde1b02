using System.Net;
using System.Net.Sockets;
using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using Microsoft.Data.Sqlite;

namespace IntegrationHub.Tests.Hosting;

/// <summary>The hub as its own process with a setting, or a machine, it cannot start with.</summary>
public sealed class StartupFailureTests
{
    [Theory]
    [InlineData("Database__Provider", "Mysql", "Database:Provider")]
    [InlineData("ConnectionStrings__Hub", "Data Sourc=foo.db", "ConnectionStrings:Hub")]
    [InlineData("Database__Provider", "Postgres", "ConnectionStrings:Hub is empty")]
    [InlineData("Runs__Concurrency", "0", "Runs:Concurrency")]
    [InlineData("Database__SqliteCheckpointInterval", "-00:00:01", "Database:SqliteCheckpointInterval")]
    [InlineData("Database__Provider", "Oracle", "Valid values: Sqlite, Postgres (case-insensitive).")]
    [InlineData("Database__SqliteSynchronous", "Extra", "Valid values: Normal, Full (case-insensitive).")]
    [InlineData("Urls", "garbage", "Urls (ASPNETCORE_URLS, --urls) holds 'garbage', which is not an address the hub can listen on")]
    [InlineData("Urls", "http://notahost:99999", "its port 99999 is not between 0 and 65535")]
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
    public async Task Start_OnAnAddressTheMachineDoesNotHave_ExitsWith1AndSaysSo()
    {
        // TEST-NET-1 (RFC 5737): never an address of this machine.
        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string> { ["Urls"] = "http://192.0.2.1:5153" });

        AssertOneMessage(hub, "an address in Urls (ASPNETCORE_URLS, --urls) is not one of this machine's");
    }

    [Fact]
    public async Task Start_WithASettingsFileThatIsNotJson_ExitsWith1AndNamesTheFile()
    {
        var contentRoot = Directory.CreateTempSubdirectory("hub-root-").FullName;
        var settings = Path.Combine(contentRoot, "appsettings.json");
        await File.WriteAllTextAsync(settings, "{ \"Runs\": { \"Concurrency\": 4, } ");

        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string> { ["ASPNETCORE_CONTENTROOT"] = contentRoot });

        AssertOneMessage(hub, $"Failed to load configuration from file '{settings}'.");
        Assert.Contains("Correct the file", hub.Output, StringComparison.Ordinal);
        Directory.Delete(contentRoot, recursive: true);
    }

    [Fact]
    public async Task Start_OnADatabaseThatHadRunsQueued_ThatFailsToStart_LeavesThemQueued()
    {
        // Queued by a node that executes no runs, then stopped.
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using (var first = HubHost.Start(database, RunsTestData.NoWorkers))
        {
            var scenario = await RunsTestData.CreateScenarioAsync(first);
            for (var i = 0; i < 3; i++)
            {
                await RunsTestData.EnqueueAsync(first, scenario);
            }
        }
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();

        // A node that executes runs, on a port in use: its worker began claiming before Kestrel failed to bind.
        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string>
        {
            ["Urls"] = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}",
            ["ConnectionStrings__Hub"] = database.ConnectionString,
        });

        AssertOneMessage(hub, "address already in use");
        Assert.DoesNotContain("Run worker", hub.Output, StringComparison.Ordinal);
        await using var db = new SqliteConnection(database.ConnectionString + ";Pooling=False");
        await db.OpenAsync();
        await using var runs = db.CreateCommand();
        runs.CommandText = """SELECT "Status", "Attempts", "LeaseOwner" IS NULL FROM "Runs" """;
        await using var reader = await runs.ExecuteReaderAsync();
        var states = new List<(string, long, bool)>();
        while (await reader.ReadAsync())
        {
            states.Add((reader.GetString(0), reader.GetInt64(1), reader.GetBoolean(2)));
        }
        Assert.Equal([("Queued", 0L, true), ("Queued", 0L, true), ("Queued", 0L, true)], states);
    }

    [Fact]
    public async Task Start_WithoutAPasswordThePostgresServerAsksFor_ExitsWith1AndSaysSo()
    {
        using var server = new PasswordAskingServer();

        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Hub"] = $"Host=127.0.0.1;Port={server.Port};Database=hub;Username=hub;Timeout=5",
        });

        AssertOneMessage(hub, $"PostgreSQL at 127.0.0.1:{server.Port}, database hub (ConnectionStrings:Hub) cannot be reached: No password has been provided");
        Assert.Contains("Password", hub.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_RequiringSslOfAPostgresServerWithout_ExitsWith1AndSaysSo()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();

        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Hub"] = connectionString + ";SSL Mode=Require",
        });

        AssertOneMessage(hub, "(ConnectionStrings:Hub) cannot be reached");
        Assert.Contains("SSL Mode", hub.Output, StringComparison.Ordinal);
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

    /// <summary>
    /// Answers every connection as a PostgreSQL server that requires a password: no to SSL and GSS encryption, then a
    /// request for the password in clear text, which Npgsql, given none, answers by closing the connection.
    /// </summary>
    private sealed class PasswordAskingServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public PasswordAskingServer()
        {
            _listener.Start();
            _ = Task.Run(AcceptAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = Task.Run(() => AnswerAsync(client));
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        }

        private async Task AnswerAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    while (true)
                    {
                        var header = new byte[8];
                        await stream.ReadExactlyAsync(header, _stop.Token);
                        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header);
                        var code = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
                        if (length == 8 && code is 80877103 or 80877104)
                        {
                            await stream.WriteAsync("N"u8.ToArray(), _stop.Token); // SSLRequest, GSSENCRequest: not here
                            continue;
                        }
                        await stream.ReadExactlyAsync(new byte[length - 8], _stop.Token);
                        // AuthenticationCleartextPassword.
                        await stream.WriteAsync(new byte[] { (byte)'R', 0, 0, 0, 8, 0, 0, 0, 3 }, _stop.Token);
                        // Until the client closes the connection.
                        while (await stream.ReadAsync(new byte[1024], _stop.Token) > 0)
                        {
                        }
                        return;
                    }
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or EndOfStreamException)
                {
                    // The client went away.
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
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
