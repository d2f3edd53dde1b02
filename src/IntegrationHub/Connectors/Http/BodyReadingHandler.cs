using IntegrationHub.Hosting;

namespace IntegrationHub.Connectors.Http;

/// <summary>
/// Reads a successful answer's body into memory when the request asks for it (<see cref="ReadBody"/>), at most
/// <see cref="ConnectorsOptions.HttpMaxResponseBytes"/>. It sits inside the resilience handler, so the body's bytes
/// count against the attempt's and the call's timeouts: read after the pipeline, a body that trickles in a byte at a
/// time held the run until the scenario's own timeout. Of a failed answer it reads the start, for the run's error
/// (<see cref="ErrorAnswer"/>), whoever calls.
/// </summary>
internal sealed class BodyReadingHandler(int maxBytes, TimeProvider time) : DelegatingHandler
{
    /// <summary>
    /// How long a failed answer's body may take to arrive. It only adds to the message, so a server that sends the
    /// status and then stalls loses its excerpt, not its status: waiting for the attempt's timeout would turn a 400 into
    /// a timeout that is retried.
    /// </summary>
    private static readonly TimeSpan ErrorBodyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Set on a request whose caller reads the body (the http source); a target's answers stay unread.</summary>
    public static readonly HttpRequestOptionsKey<bool> ReadBody = new("IntegrationHub.Connectors.ReadBody");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // A redirect's body is never shown: HttpConnectorClient follows it.
            if (!HttpConnectorClient.IsRedirect(response.StatusCode) || response.Headers.Location is null)
            {
                await BufferErrorBodyAsync(response, cancellationToken);
            }
            return response;
        }
        if (!request.Options.TryGetValue(ReadBody, out var read) || !read)
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

    /// <summary>
    /// Replaces a failed answer's content with its first <see cref="ErrorAnswer.MaxBytes"/> + 1 bytes, or with none
    /// when they cannot be read in time or at all: the answer fails the call by its status either way.
    /// </summary>
    private async Task BufferErrorBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var start = Array.Empty<byte>();
        using (var timeout = new CancellationTokenSource(ErrorBodyTimeout, time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
                var buffer = new byte[ErrorAnswer.MaxBytes + 1];
                var length = 0;
                int read;
                while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), linked.Token)) > 0)
                {
                    length += read;
                }
                start = buffer[..length];
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is OperationCanceledException or IOException or InvalidDataException or HttpRequestException)
            {
                // Too slow, cut off, or not coded as it says: the status is what counts.
            }
        }

        var buffered = new ByteArrayContent(start);
        foreach (var (name, values) in response.Content.Headers)
        {
            buffered.Headers.TryAddWithoutValidation(name, values);
        }
        response.Content.Dispose();
        response.Content = buffered;
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
