using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace IntegrationHub.Bench;

/// <summary>
/// A hub started by the bench with <c>dotnet run -c Release</c> on a fresh database: a SQLite file in a temp folder, or
/// a PostgreSQL server it initdb's itself (default durability settings: fsync and synchronous_commit on).
/// </summary>
internal sealed class HubProcess : IAsyncDisposable
{
    public const string AdminToken = "ih_bench-admin-token-0123456789abcdefghijklmnop";

    private readonly Process _hub;
    private readonly string _folder;
    private readonly string? _postgresData;

    private HubProcess(Process hub, string folder, string? postgresData, Uri url)
    {
        _hub = hub;
        _folder = folder;
        _postgresData = postgresData;
        Url = url;
    }

    public Uri Url { get; }

    /// <param name="settings">Configuration for the hub beyond the bench's own, as environment variables.</param>
    public static async Task<HubProcess> StartAsync(
        string repoRoot, string provider, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Path.GetTempPath(), "hub-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        string connectionString;
        string? postgresData = null;
        if (provider == "postgres")
        {
            postgresData = Path.Combine(folder, "pg");
            var pgPort = FreePort();
            if (RunAs is not null)
            {
                await RunAsync("chown", null, RunAs, folder);
            }
            await RunAsync("initdb", RunAs, "-D", postgresData, "-U", "postgres", "--auth=trust", "-E", "UTF8");
            await RunAsync("pg_ctl", RunAs, "-D", postgresData, "-w", "-l", Path.Combine(folder, "pg.log"), "-o",
                $"-p {pgPort} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=300", "start");
            connectionString = $"Host=127.0.0.1;Port={pgPort};Username=postgres;Database=postgres;Maximum Pool Size=100";
        }
        else
        {
            connectionString = $"Data Source={Path.Combine(folder, "hub.db")}";
        }

        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = repoRoot,
        };
        foreach (var a in new[] { "run", "--project", Path.Combine(repoRoot, "src", "IntegrationHub"), "-c", "Release", "--no-launch-profile" })
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        start.Environment["Database__Provider"] = provider == "postgres" ? "Postgres" : "Sqlite";
        start.Environment["ConnectionStrings__Hub"] = connectionString;
        if (provider == "postgres")
        {
            // PostgreSQL hubs make no key of their own (SQLite ones keep it in a file beside the database).
            start.Environment["Secrets__Key"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }
        start.Environment["Bootstrap__AdminEmail"] = "bench@hub.test";
        start.Environment["Bootstrap__AdminToken"] = AdminToken;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }
        var hub = Process.Start(start) ?? throw new InvalidOperationException("Could not start the hub.");
        hub.OutputDataReceived += (_, _) => { };
        hub.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("hub: " + e.Data);
            }
        };
        hub.BeginOutputReadLine();
        hub.BeginErrorReadLine();

        var process = new HubProcess(hub, folder, postgresData, new Uri($"http://127.0.0.1:{port}/"));
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        // The first start builds the hub in Release: allow for it.
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (DateTime.UtcNow < deadline && !hub.HasExited)
        {
            try
            {
                if ((await probe.GetAsync(new Uri(process.Url, "health"), cancellationToken)).IsSuccessStatusCode)
                {
                    return process;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(500, cancellationToken);
        }
        await process.DisposeAsync();
        throw new InvalidOperationException($"The hub ({provider}) did not become healthy.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_hub.HasExited)
        {
            _hub.Kill(entireProcessTree: true);
            await _hub.WaitForExitAsync();
        }
        _hub.Dispose();
        if (_postgresData is not null)
        {
            await RunAsync("pg_ctl", RunAs, "-D", _postgresData, "-m", "fast", "stop");
        }
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    /// <summary>PostgreSQL refuses to run as root; as root, its tools run as the <c>postgres</c> user.</summary>
    private static string? RunAs => Environment.UserName == "root" ? "postgres" : null;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string program, string? runAs, params string[] arguments)
    {
        var start = new ProcessStartInfo(runAs is null ? program : "runuser") { RedirectStandardOutput = true, RedirectStandardError = true };
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
