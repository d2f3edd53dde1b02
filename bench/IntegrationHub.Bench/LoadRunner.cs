using System.Diagnostics;
using System.Net.Sockets;

namespace IntegrationHub.Bench;

/// <summary>What one load phase measured.</summary>
internal sealed record LoadResult(string Name, long Requests, long Errors, TimeSpan Elapsed, double P50Ms, double P99Ms)
{
    public double PerSecond => Requests / Elapsed.TotalSeconds;
}

/// <summary>
/// Sends POSTs from <c>connections</c> concurrent loops, one keep-alive connection each, for a fixed time and records
/// each request's latency, from sending the request to having read the whole answer.
/// </summary>
internal static class LoadRunner
{
    /// <summary>Runs a warm-up of <paramref name="warmup"/>, then measures for <paramref name="duration"/> (at most <paramref name="maxRequests"/>).</summary>
    public static async Task<LoadResult> RunAsync(
        string name, Uri url, string? token, Func<long, byte[]> body, int connections, TimeSpan warmup, TimeSpan duration, long maxRequests)
    {
        if (warmup > TimeSpan.Zero)
        {
            await LoopAllAsync(url, token, body, connections, warmup, maxRequests, record: false);
        }
        return await LoopAllAsync(url, token, body, connections, duration, maxRequests, record: true) with { Name = name };
    }

    private static async Task<LoadResult> LoopAllAsync(
        Uri url, string? token, Func<long, byte[]> body, int connections, TimeSpan duration, long maxRequests, bool record)
    {
        var latencies = new List<long>[connections];
        var errors = new long[connections];
        long issued = 0;
        var clock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, connections).Select(i => Task.Run(async () =>
        {
            var mine = latencies[i] = new List<long>(100_000);
            var connection = await RawHttpConnection.OpenAsync(url, token, CancellationToken.None);
            try
            {
                long sequence;
                while (clock.Elapsed < duration && (sequence = Interlocked.Increment(ref issued)) <= maxRequests)
                {
                    var request = body(sequence);
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        if (await connection.PostAsync(request, CancellationToken.None) is < 200 or > 299)
                        {
                            errors[i]++;
                        }
                    }
                    catch (Exception e) when (e is IOException or SocketException)
                    {
                        // The server dropped the connection: count it and carry on with a new one.
                        errors[i]++;
                        connection.Dispose();
                        connection = await RawHttpConnection.OpenAsync(url, token, CancellationToken.None);
                    }
                    if (record)
                    {
                        mine.Add(Stopwatch.GetTimestamp() - started);
                    }
                }
            }
            finally
            {
                connection.Dispose();
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
