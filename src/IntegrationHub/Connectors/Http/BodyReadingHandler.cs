using IntegrationHub.Hosting;

namespace IntegrationHub.Connectors.Http;

/// <summary>
/// Reads a successful answer's body into memory when the request asks for it (<see cref="ReadBody"/>), at most
/// <see cref="ConnectorsOptions.HttpMaxResponseBytes"/>. It sits inside the resilience handler, so the body's bytes
/// count against the attempt's and the call's timeouts: read after the pipeline, a body that trickles in a byte at a
/// time held the run until the scenario's own timeout.
/// </summary>
internal sealed class BodyReadingHandler(int maxBytes) : DelegatingHandler
{
    /// <summary>Set on a request whose caller reads the body (the http source); a target's answers stay unread.</summary>
    public static readonly HttpRequestOptionsKey<bool> ReadBody = new("IntegrationHub.Connectors.ReadBody");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode || !request.Options.TryGetValue(ReadBody, out var read) || !read)
        {
            return response;
        }

        try
        {
            var body = await ReadAsync(response.Content, cancellationToken);
            var buffered = new ByteArrayContent(body);
            foreach (var (name, values) in response.Content.Headers)
            {
                buffered.Headers.TryAddWithoutValidation(name, values);
            }
            response.Content.Dispose();
            response.Content = buffered;
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<byte[]> ReadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        // A declared length past the limit fails before a byte is downloaded.
        if (content.Headers.ContentLength > maxBytes)
        {
            throw new ResponseTooLargeException(maxBytes);
        }

        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            return await BoundedRead.ReadAtMostAsync(stream, maxBytes, cancellationToken) ?? throw new ResponseTooLargeException(maxBytes);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            // The connection broke mid-body, or a compressed body ended short of its end (the decoders' strict
            // validation): as transient as a connection that broke before the headers, so retried the same way.
            throw new HttpRequestException($"The body could not be read: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// An answer's body is larger than <see cref="ConnectorsOptions.HttpMaxResponseBytes"/>. Not an
/// <see cref="HttpRequestException"/>, so the resilience pipeline does not download it again: it will not shrink.
/// </summary>
internal sealed class ResponseTooLargeException(int maxBytes) : Exception(
    $"its body is larger than Connectors:HttpMaxResponseBytes ({maxBytes:N0} bytes)");
