using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL server started from the machine's binaries (initdb, pg_ctl) on a temp folder and a
/// free loopback port, shared by the whole test run and stopped when it ends. Each test asks it for a fresh database.
/// </summary>
internal sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);
    private readonly string _dataDirectory;
    private readonly string? _runAs;

    private PostgresServer(string dataDirectory, int port, string? runAs)
    {
        _dataDirectory = dataDirectory;
        _runAs = runAs;
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
        Port = port;
    }

    public int Port { get; }

    public string AdminConnectionString { get; }

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "hub_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        // Every test has its own database, so its own pool, which outlives the test: idle connections close after
        // 10 s instead of Npgsql's 5 min, or the pools of finished tests fill the server's connection slots.
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name};Maximum Pool Size=40;Connection Idle Lifetime=10;Connection Pruning Interval=2";
    }

    /// <summary>Runs <paramref name="statements"/> as the server's superuser, one after another: to take a test's database away and give it back.</summary>
    public async Task AdminAsync(params string[] statements)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hub-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        // PostgreSQL refuses to run as root; CI and this machine run tests as root, so hand the folder to 'postgres'.
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        if (runAs is not null)
        {
            await RunAsync("chown", null, runAs, directory);
        }

        var port = FreePort();
        var server = new PostgresServer(Path.Combine(directory, "data"), port, runAs);
        await RunAsync("initdb", runAs, "-D", server._dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        // fsync off: the data is thrown away, and the tests measure behaviour, not disk speed.
        await RunAsync("pg_ctl", runAs, "-D", server._dataDirectory, "-w", "-l", Path.Combine(directory, "log.txt"), "-o",
            $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000", "start");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        StartWatchdog(server, directory);
        return server;
    }

    /// <summary>
    /// The test runner may end the test process without running exit handlers; a detached watchdog then stops the
    /// server and removes its folder once this process is gone, so no PostgreSQL outlives the test run.
    /// </summary>
    private static void StartWatchdog(PostgresServer server, string directory)
    {
        var stop = server._runAs is null
            ? $"pg_ctl -D '{server._dataDirectory}' -m immediate stop"
            : $"runuser -u {server._runAs} -- pg_ctl -D '{server._dataDirectory}' -m immediate stop";
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{directory}'";
        var start = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "bash", "-c", script })
        {
            start.ArgumentList.Add(argument);
        }
        Process.Start(start)?.Dispose();
    }

    private void Stop()
    {
        try
        {
            RunAsync("pg_ctl", _runAs, "-D", _dataDirectory, "-m", "immediate", "stop").GetAwaiter().GetResult();
            Directory.Delete(Path.GetDirectoryName(_dataDirectory)!, recursive: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            // Best effort at exit: a leftover temp folder must not fail the run.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string program, string? runAs, params string[] arguments)
    {
        var start = new ProcessStartInfo(runAs is null ? program : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (runAs is not null)
        {
            foreach (var a in new[] { "-u", runAs, "--", program })
            {
                start.ArgumentList.Add(a);
            }
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}
