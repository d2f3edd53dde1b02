using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IntegrationHub.Bench;

// Usage (see bench/README.md):
//   dotnet run -c Release --project bench/IntegrationHub.Bench -- [--start sqlite,postgres] [--duration 10] [--connections 32] [--runs 10000]
//   dotnet run -c Release --project bench/IntegrationHub.Bench -- --url http://127.0.0.1:5080/ --token ih_... [--duration 10]
var options = BenchOptions.Parse(args);
var results = new List<(string Target, LoadResult Result)>();
var endToEnd = new List<(string Target, long Completed, long Sent, double PerSecond)>();
// A freshly started hub compiles its hot paths for its first several seconds under load.
var acceptOnlyExtraWarmup = TimeSpan.FromSeconds(5);

var (bare, bareUrl) = await BareServer.StartAsync();
try
{
    // A hub given with --url, or one hub per database the bench starts (and can start again with other settings).
    (string Name, string? Provider)[] targets = options.Url is not null
        ? [(options.Url.ToString(), null)]
        : [.. options.Start.Select(provider => (provider, (string?)provider))];

    foreach (var (name, provider) in targets)
    {
        var (url, token, owned) = await StartAsync(provider, new Dictionary<string, string>());
        try
        {
            using var api = new HttpClient { BaseAddress = url, DefaultRequestHeaders = { Authorization = new("Bearer", token) } };

            // End to end first, so the backlog the accept phase leaves behind does not compete with it; after a warm-up
            // round on a scenario of its own, so the measured runs do not pay for the hub's first JIT compilations.
            const string EndToEndScript = "storage.set(data[0].Body.id, data[0].Body); return [];";
            Console.WriteLine($"[{name}] end to end warm-up: {options.E2eWarmupRuns} triggers...");
            await MeasureEndToEndAsync(api, token, await CreateScenarioAsync(api, "bench end to end warm-up", EndToEndScript), options.E2eWarmupRuns, options);
            var e2eScenario = await CreateScenarioAsync(api, "bench end to end", EndToEndScript);
            Console.WriteLine($"[{name}] end to end: {options.Runs} triggers, waiting for their storage writes...");
            var e2e = await MeasureEndToEndAsync(api, token, e2eScenario, options.Runs, options);
            endToEnd.Add((name, e2e.Completed, options.Runs, e2e.PerSecond));

            Console.WriteLine($"[{name}] bare endpoint, {options.Duration.TotalSeconds:0} s...");
            var bareResult = await LoadRunner.RunAsync("bare", bareUrl, null, _ => Body(0), options.Connections, options.Warmup, options.Duration, long.MaxValue);
            results.Add((name, bareResult));

            var acceptScenario = await CreateScenarioAsync(api, "bench accept", "return [];");
            Console.WriteLine($"[{name}] POST /ExternalData/Accept, {options.Duration.TotalSeconds:0} s...");
            var accept = await LoadRunner.RunAsync(
                "accept", new Uri(url, $"ExternalData/Accept/{acceptScenario}"), token, Body, options.Connections, options.Warmup, options.Duration, long.MaxValue);
            results.Add((name, accept));

            if (owned is null)
            {
                continue; // A hub the bench did not start: it cannot restart it as an accept-only node.
            }
            await owned.DisposeAsync();
            owned = null;
            // The durable accept itself, on a node that only accepts (Runs:ExecuteRuns=false, as in a scaled-out
            // deployment): the workers no longer share the cores. A fresh process, so a longer warm-up for its JIT.
            (url, token, owned) = await StartAsync(provider, new Dictionary<string, string> { ["Runs__ExecuteRuns"] = "false" });
            using var acceptApi = new HttpClient { BaseAddress = url, DefaultRequestHeaders = { Authorization = new("Bearer", token) } };
            var acceptOnlyScenario = await CreateScenarioAsync(acceptApi, "bench accept", "return [];");
            Console.WriteLine($"[{name}] POST /ExternalData/Accept on an accept-only node, {options.Duration.TotalSeconds:0} s...");
            results.Add((name, await LoadRunner.RunAsync(
                "accept-only", new Uri(url, $"ExternalData/Accept/{acceptOnlyScenario}"), token, Body, options.Connections,
                options.Warmup + acceptOnlyExtraWarmup, options.Duration, long.MaxValue)));
        }
        finally
        {
            if (owned is not null)
            {
                await owned.DisposeAsync();
            }
        }
    }
}
finally
{
    await bare.StopAsync();
    await bare.DisposeAsync();
}

Console.WriteLine();
Console.WriteLine($"{options.Connections} connections, {Body(0).Length}-byte JSON body, {options.Duration.TotalSeconds:0} s per phase, {Environment.ProcessorCount} cores");
Console.WriteLine($"{"hub",-10} {"endpoint",-11} {"requests",10} {"req/s",10} {"p50 ms",8} {"p99 ms",8} {"errors",8} {"vs bare",8}");
foreach (var group in results.GroupBy(r => r.Target))
{
    var bareRate = group.First(r => r.Result.Name == "bare").Result.PerSecond;
    foreach (var (target, r) in group)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target,-10} {r.Name,-11} {r.Requests,10} {r.PerSecond,10:0} {r.P50Ms,8:0.00} {r.P99Ms,8:0.00} {r.Errors,8} {r.PerSecond / bareRate,8:P0}"));
    }
}
foreach (var (target, completed, sent, perSecond) in endToEnd)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target,-10} end to end: {completed}/{sent} runs completed, {perSecond:0} runs/s"));
}
return 0;

async Task<(Uri Url, string Token, IAsyncDisposable? Owned)> StartAsync(string? provider, IReadOnlyDictionary<string, string> settings)
{
    if (provider is null)
    {
        return (options.Url!, options.Token!, null);
    }
    var with = settings.Count > 0 ? $" ({string.Join(", ", settings.Select(s => $"{s.Key}={s.Value}"))})" : "";
    Console.WriteLine($"Starting a hub on {provider}{with}...");
    var hub = await HubProcess.StartAsync(BenchOptions.RepoRoot(), provider, settings, CancellationToken.None);
    return (hub.Url, HubProcess.AdminToken, hub);
}

static byte[] Body(long sequence)
{
    // 300 bytes of JSON: an id that differs per request (the end-to-end phase keys storage by it), padded to length.
    var head = $"{{\"id\":{sequence},\"customer\":\"ACME Corporation\",\"total\":1234.5,\"currency\":\"EUR\",\"note\":\"";
    return Encoding.UTF8.GetBytes(head + new string('x', 300 - head.Length - 2) + "\"}");
}

static async Task<Guid> CreateScenarioAsync(HttpClient api, string name, string script)
{
    var response = await api.PostAsJsonAsync("api/v1/scenarios", new
    {
        name,
        sourceScript = script,
        source = new { type = "none" },
        target = new { type = "none" },
        advanced = new { enableExternalTriggers = true, maxQueuedRuns = 1_000_000, maxConcurrentRuns = 100, maxAttempts = 1, timeoutSeconds = 60 },
    });
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"Creating a scenario failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
    return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
}

static async Task<(long Completed, double PerSecond)> MeasureEndToEndAsync(HttpClient api, string token, Guid scenario, long runs, BenchOptions options)
{
    var clock = Stopwatch.StartNew();
    await LoadRunner.RunAsync("e2e", new Uri(api.BaseAddress!, $"ExternalData/Accept/{scenario}"), token, Body, options.Connections,
        TimeSpan.Zero, TimeSpan.FromMinutes(5), runs);
    // Completion is counted as the storage entries the script wrote: one per run.
    long completed = 0;
    var lastProgress = clock.Elapsed;
    while (completed < runs && clock.Elapsed - lastProgress < options.E2eStallTimeout)
    {
        var page = await api.GetFromJsonAsync<JsonElement>($"api/v1/scenarios/{scenario}/storage?pageSize=1");
        var total = page.GetProperty("total").GetInt64();
        if (total > completed)
        {
            completed = total;
            lastProgress = clock.Elapsed;
        }
        if (completed < runs)
        {
            await Task.Delay(100);
        }
    }
    return (completed, completed == 0 ? 0 : completed / lastProgress.TotalSeconds);
}

internal sealed record BenchOptions(
    Uri? Url, string? Token, string[] Start, int Connections, TimeSpan Duration, TimeSpan Warmup, long Runs, long E2eWarmupRuns, TimeSpan E2eStallTimeout)
{
    public static BenchOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        var url = Value("--url") is { } u ? new Uri(u.EndsWith('/') ? u : u + "/") : null;
        var token = Value("--token");
        if (url is not null && token is null)
        {
            throw new ArgumentException("--url needs --token (a personal access token of an Editor or Admin).");
        }
        if (url is not null && !url.IsLoopback)
        {
            throw new ArgumentException("The bench only drives hubs on loopback.");
        }
        return new BenchOptions(
            url,
            token,
            (Value("--start") ?? "sqlite,postgres").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            int.Parse(Value("--connections") ?? "32", CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(int.Parse(Value("--duration") ?? "10", CultureInfo.InvariantCulture)),
            TimeSpan.FromSeconds(int.Parse(Value("--warmup") ?? "3", CultureInfo.InvariantCulture)),
            long.Parse(Value("--runs") ?? "10000", CultureInfo.InvariantCulture),
            long.Parse(Value("--e2e-warmup") ?? "2000", CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(int.Parse(Value("--e2e-stall") ?? "15", CultureInfo.InvariantCulture)));
    }

    /// <summary>The folder holding IntegrationHub.slnx, found upwards from the bench's binaries.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "IntegrationHub.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Run the bench from inside the repository (IntegrationHub.slnx not found).");
    }
}
