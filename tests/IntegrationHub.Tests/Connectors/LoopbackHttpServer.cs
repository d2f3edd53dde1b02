using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Tests.Connectors;

/// <summary>A request the loopback server received.</summary>
internal sealed record ReceivedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A real HTTP server on 127.0.0.1 and a free port, answering every request with what <c>respond</c> says for it
/// (given the request and how many came before it) and keeping what it received. A redirect status (3xx) answers with
/// the body as its <c>Location</c>. Tests that need other headers, bytes or timing write the answer themselves.
/// </summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();
    private int _count;

    private LoopbackHttpServer(Func<ReceivedRequest, int, HttpResponse, Task> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var request = new ReceivedRequest(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                await reader.ReadToEndAsync());
            _received.Enqueue(request);
            // As many services do: a client that kept cookies would send it back.
            context.Response.Headers.SetCookie = "session=from-the-server; Path=/";
            await respond(request, Interlocked.Increment(ref _count) - 1, context.Response);
        });
    }

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<ReceivedRequest> Received => [.. _received];

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    public static Task<LoopbackHttpServer> StartAsync(Func<ReceivedRequest, int, (int Status, string Body)> respond) =>
        StartAsync((request, count) => Task.FromResult(respond(request, count)));

    /// <summary>Starts a server whose answers may wait: a request stays open until <paramref name="respond"/> completes.</summary>
    public static Task<LoopbackHttpServer> StartAsync(Func<ReceivedRequest, int, Task<(int Status, string Body)>> respond) =>
        StartAsync(async (request, count, response) =>
        {
            var (status, body) = await respond(request, count);
            response.StatusCode = status;
            if (status is >= 300 and < 400)
            {
                response.Headers.Location = body;
                return;
            }
            response.ContentType = "application/json";
            await response.WriteAsync(body);
        });

    /// <summary>Starts a server that writes its answers itself: any status, headers and bytes, as slowly as it likes.</summary>
    public static async Task<LoopbackHttpServer> StartAsync(Func<ReceivedRequest, int, HttpResponse, Task> respond)
    {
        var server = new LoopbackHttpServer(respond);
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.BaseAddress = new Uri(address + "/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
