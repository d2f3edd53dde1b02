using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary>
/// The hub as its own operating-system process (<c>dotnet IntegrationHub.dll</c>, built beside this test assembly's
/// configuration) on a free loopback port, for tests where nodes must not share a process. Stopped with a kill.
/// </summary>
internal sealed class HubProcess : IAsyncDisposable
{
    public static readonly string AdminToken = "ih_process-admin-" + Guid.NewGuid().ToString("N");

    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private HubProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>What the hub wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Keep(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public static Task<HubProcess> StartAsync(TestDatabase database, IReadOnlyDictionary<string, string> settings)
    {
        var app = AppAssembly();
        var all = new Dictionary<string, string>
        {
            ["Database__Provider"] = database.Provider.ToString(),
            ["ConnectionStrings__Hub"] = database.ConnectionString,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (database.SecretsKey is not null)
        {
            all["Secrets__Key"] = database.SecretsKey;
        }
        foreach (var (name, value) in settings)
        {
            all[name] = value;
        }
        return StartAsync(Path.GetDirectoryName(app)!, all);
    }

    /// <summary>
    /// Starts the hub with <paramref name="workingDirectory"/> as the current directory, configured only by its own
    /// appsettings.json and <paramref name="settings"/> (environment variables): its log as a user sees it, in <see cref="Output"/>.
    /// </summary>
    public static async Task<HubProcess> StartAsync(string workingDirectory, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(AppAssembly());
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        start.Environment["Bootstrap__AdminEmail"] = HubHost.AdminEmail;
        start.Environment["Bootstrap__AdminToken"] = AdminToken;
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the hub process.");
        var hub = new HubProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        // Drained so a chatty hub never blocks on a full pipe.
        process.OutputDataReceived += (_, e) => hub.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => hub.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = hub.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                if ((await probe.GetAsync("health")).IsSuccessStatusCode)
                {
                    return hub;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        // Read before the process is disposed, which makes HasExited throw instead of answering.
        var exited = process.HasExited;
        await hub.DisposeAsync();
        throw new InvalidOperationException($"The hub process did not become healthy (exited: {exited}).");
    }

    /// <summary>
    /// Runs the hub with <paramref name="settings"/> (environment variables) until it exits on its own, as a hub that
    /// cannot start does, on a free port and an SQLite file in a new temporary folder unless the settings say otherwise
    /// (on PostgreSQL with a <c>Secrets:Key</c>).
    /// Killed after a minute, which fails the test: a hub that started after all would run forever.
    /// </summary>
    public static async Task<ExitedHub> RunUntilExitAsync(IReadOnlyDictionary<string, string> settings)
    {
        var folder = Directory.CreateTempSubdirectory("hub-exit-").FullName;
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(AppAssembly());
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Urls"] = $"http://127.0.0.1:{FreePort()}";
        start.Environment["Database__Provider"] = "Sqlite";
        start.Environment["ConnectionStrings__Hub"] = $"Data Source={Path.Combine(folder, "hub.db")}";
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }
        if (string.Equals(start.Environment["Database__Provider"], "Postgres", StringComparison.OrdinalIgnoreCase) && !settings.ContainsKey("Secrets__Key"))
        {
            // A key, so that a hub pointed at PostgreSQL gets as far as the failure a test is about ("" takes it away).
            // An SQLite hub uses the key file beside its database, as it would without the setting.
            start.Environment["Secrets__Key"] = TestDatabase.NewSecretsKey();
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the hub process.");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new InvalidOperationException($"The hub did not exit within a minute. Its output:{Environment.NewLine}{output}");
        }
        // Drains the redirected output to its end.
        process.WaitForExit();
        lock (output)
        {
            return new ExitedHub(process.ExitCode, output.ToString(), folder);
        }
    }

    /// <summary>A hub process that ended: its exit code, stdout and stderr together, and the folder it ran in.</summary>
    public sealed record ExitedHub(int ExitCode, string Output, string Folder);

    /// <summary>An HttpClient authenticated as the bootstrapped admin.</summary>
    /// <summary>Waits for the hub to end by itself; false when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public HttpClient CreateAdminClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    /// <summary>The hub's own build output, of the configuration this test assembly was built in.</summary>
    public static string AppAssembly()
    {
        // tests/IntegrationHub.Tests/bin/{Configuration}/{TargetFramework}/
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var repoRoot = testOutput.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var app = Path.Combine(repoRoot, "src", "IntegrationHub", "bin", configuration, framework, "IntegrationHub.dll");
        return File.Exists(app) ? app : throw new FileNotFoundException("Build the hub first: its assembly is missing.", app);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
