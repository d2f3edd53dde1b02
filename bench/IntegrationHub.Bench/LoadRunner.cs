using System.Diagnostics;
using System.Net.Http.Headers;

namespace IntegrationHub.Bench;

/// <summary>What one load phase measured.</summary>
internal sealed record LoadResult(string Name, long Requests, long Errors, TimeSpan Elapsed, double P50Ms, double P99Ms)
{
    public double PerSecond => Requests / Elapsed.TotalSeconds;
}

/// <summary>
/// Sends the same POST from <c>connections</c> concurrent loops for a fixed time and records each request's latency.
/// One HttpClient with one connection per loop (MaxConnectionsPerServer), so the server sees exactly that many connections.
/// </summary>
internal static class LoadRunner
{
    public static HttpClient CreateClient(int connections, string? token) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseCookies = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
            DefaultRequestHeaders = { Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token) },
        };

    /// <summary>Runs a warm-up of <paramref name="warmup"/>, then measures for <paramref name="duration"/> (at most <paramref name="maxRequests"/>).</summary>
    public static async Task<LoadResult> RunAsync(
        string name, HttpClient client, Uri url, Func<long, byte[]> body, int connections, TimeSpan warmup, TimeSpan duration, long maxRequests)
    {
        if (warmup > TimeSpan.Zero)
        {
            await LoopAllAsync(client, url, body, connections, warmup, maxRequests, record: false);
        }
        return await LoopAllAsync(client, url, body, connections, duration, maxRequests, record: true) with { Name = name };
    }

    private static async Task<LoadResult> LoopAllAsync(
        HttpClient client, Uri url, Func<long, byte[]> body, int connections, TimeSpan duration, long maxRequests, bool record)
    {
        var latencies = new List<long>[connections];
        var errors = new long[connections];
        long issued = 0;
        var clock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, connections).Select(i => Task.Run(async () =>
        {
            var mine = latencies[i] = new List<long>(100_000);
            long sequence;
            while (clock.Elapsed < duration && (sequence = Interlocked.Increment(ref issued)) <= maxRequests)
            {
                using var content = new ByteArrayContent(body(sequence));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.PostAsync(url, content);
                    if (!response.IsSuccessStatusCode)
                    {
                        errors[i]++;
                    }
                }
                catch (HttpRequestException)
                {
                    errors[i]++;
                }
                if (record)
                {
                    mine.Add(Stopwatch.GetTimestamp() - started);
                }
            }
        })).ToArray();
        await Task.WhenAll(loops);
        var elapsed = clock.Elapsed;

        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult("", all.Length, errors.Sum(), elapsed, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static double Percentile(long[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))] * 1000.0 / Stopwatch.Frequency;
}
