using System.Net;
using Polly.Timeout;

namespace IntegrationHub.Connectors.Http;

/// <summary>
/// Sends the http connectors' requests through the named client whose resilience pipeline retries timeouts, network
/// errors and 5xx answers (see <see cref="ConnectorsExtensions"/>), and turns what is left into a
/// <see cref="ConnectorException"/> that says whether the run may be retried.
/// </summary>
internal sealed class HttpConnectorClient(IHttpClientFactory clientFactory)
{
    public const string ClientName = "IntegrationHub.Connectors.Http";

    /// <summary>Sends one request and returns the successful response; the caller disposes it.</summary>
    /// <param name="what">Who is calling, for messages: "The http source".</param>
    public async Task<HttpResponseMessage> SendAsync(
        string what,
        HttpMethod method,
        string? url,
        IReadOnlyDictionary<string, string>? headers,
        HttpContent? content,
        CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ConnectorException($"{what} needs an absolute http or https url; \"{url}\" is not one.", retryable: false);
        }

        // Query strings often carry credentials; messages name the endpoint without them.
        var endpoint = $"{method} {uri.GetLeftPart(UriPartial.Path)}";
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            if (!request.Headers.TryAddWithoutValidation(name, value) && content is not null)
            {
                content.Headers.Remove(name);
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await clientFactory.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new ConnectorException($"{what}: {endpoint} timed out after {ex.Timeout.TotalSeconds:0.###} s.", retryable: true, ex);
        }
        catch (HttpRequestException ex) when (ex.InnerException is BlockedAddressException blocked)
        {
            throw new ConnectorException($"{what}: {endpoint} was not called: {blocked.Message}", retryable: false, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ConnectorException($"{what}: {endpoint} failed: {ex.Message}", retryable: true, ex);
        }
        catch (UriFormatException ex)
        {
            // A redirect to a Location that is no http url (file:///etc/passwd) is refused by the handler this way.
            throw new ConnectorException($"{what}: {endpoint} redirected to an address that is not an http url: {ex.Message}", retryable: false, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConnectorException($"{what}: {endpoint} timed out.", retryable: true, ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var status = response.StatusCode;
            var retryable = (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            throw new ConnectorException($"{what}: {endpoint} answered {(int)status} {response.ReasonPhrase}.", retryable);
        }
    }
}
