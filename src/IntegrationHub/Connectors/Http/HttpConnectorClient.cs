using System.Net;
using Polly;
using Polly.Timeout;

namespace IntegrationHub.Connectors.Http;

/// <summary>
/// Sends the http connectors' requests through the named client whose resilience pipeline retries timeouts, network
/// errors and 5xx answers (see <see cref="ConnectorsExtensions"/>), follows redirects, and turns what is left into a
/// <see cref="ConnectorException"/> that says whether the run may be retried.
/// </summary>
internal sealed class HttpConnectorClient(IHttpClientFactory clientFactory)
{
    public const string ClientName = "IntegrationHub.Connectors.Http";

    /// <summary>How many redirects one call follows (browsers stop at about 20).</summary>
    public const int MaxRedirects = 10;

    /// <summary>The status of the last answer the resilience pipeline retried, such as "503 Service Unavailable".</summary>
    public static readonly ResiliencePropertyKey<string> RetriedAnswer = new("IntegrationHub.Connectors.RetriedAnswer");

    /// <summary>How many times the resilience pipeline retried the request.</summary>
    public static readonly ResiliencePropertyKey<int> Retries = new("IntegrationHub.Connectors.Retries");

    /// <summary>
    /// Tells the run's log of a retry as the resilience pipeline schedules it, given <see cref="Retrying"/>'s text: a
    /// call retried and then successful left no trace, although the target may have acted on the first try as well.
    /// </summary>
    public static readonly ResiliencePropertyKey<Action<string>> RetryWarning = new("IntegrationHub.Connectors.RetryWarning");

    /// <summary>
    /// Sent unless the scenario's headers name their own: some APIs (GitHub's) and web application firewalls refuse a
    /// request without one, and .NET sends none.
    /// </summary>
    public static readonly string UserAgent = $"IntegrationHub/{typeof(HttpConnectorClient).Assembly.GetName().Version?.ToString(3) ?? "1.0.0"}";

    /// <summary>Sends one request, following redirects, and returns the successful response; the caller disposes it.</summary>
    /// <param name="what">Who is calling, for messages: "The http source".</param>
    /// <param name="headers">The scenario's own headers: sent to the url's origin only, not after a redirect to another.</param>
    /// <param name="content">Sent again after a 307 or 308 redirect; disposed here.</param>
    /// <param name="readBody">
    /// Whether the caller needs the successful response's body. Without, it is never read: a target's record is
    /// delivered once the status says so, whatever the server sends back with it.
    /// </param>
    /// <param name="log">The run's log, told of every retry (<see cref="RetryWarning"/>).</param>
    /// <param name="accept">The <c>Accept</c> header sent to every address, redirects to other origins included, unless
    /// the scenario's headers name their own.</param>
    public async Task<HttpResponseMessage> SendAsync(
        string what,
        HttpMethod method,
        string? url,
        IReadOnlyDictionary<string, string>? headers,
        HttpContent? content,
        bool readBody,
        IConnectorLog log,
        CancellationToken cancellationToken,
        string? accept = null)
    {
        using var owned = content;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !IsHttp(uri))
        {
            throw new ConnectorException($"{what} needs an absolute http or https url; \"{(uri is null ? url : Shown(uri))}\" is not one.", retryable: false);
        }

        var endpoint = $"{method} {Shown(uri)}";
        var requested = endpoint;
        var origin = uri;
        // The handler follows no redirect itself (ConnectorsExtensions): it would send a scenario's API key header on
        // to whatever host a redirect names. Here, as curl does, the headers go to the url's own origin only.
        for (var redirects = 0; ; redirects++)
        {
            var sameOrigin = Uri.Compare(uri, origin, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
            var (response, retries) = await SendOnceAsync(what, endpoint, method, uri, sameOrigin ? headers : null, accept, content, readBody, log, cancellationToken);
            var status = response.StatusCode;
            if (!IsRedirect(status) || response.Headers.Location is not { } location)
            {
                return await CheckedAsync(what, endpoint, retries, response, Secrets(headers, [uri, origin]), cancellationToken);
            }

            response.Dispose();
            if (redirects == MaxRedirects)
            {
                throw new ConnectorException($"{what}: {requested} redirected more than {MaxRedirects} times.", retryable: false);
            }
            if (!Uri.TryCreate(uri, location, out var next) || !IsHttp(next))
            {
                throw new ConnectorException($"{what}: {endpoint} redirected to an address that is not an http url.", retryable: false);
            }
            // 307 and 308 repeat the request; 303, and 301 and 302 after a POST, fetch the new address with GET
            // (RFC 9110).
            if (status == HttpStatusCode.SeeOther || (status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found && method == HttpMethod.Post))
            {
                (method, content) = (HttpMethod.Get, null);
            }
            uri = next;
            // Messages name the address that answered, or was refused, and how the call got there: "GET .../redirect
            // answered 404" sent users looking at an address that had answered 302.
            endpoint = $"{method} {Shown(uri)} (redirected from {Shown(origin)})";
        }
    }

    /// <summary>The answers followed to their <c>Location</c>: their bodies are never read.</summary>
    public static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>
    /// The url as messages show it: without the query string, which often carries credentials, nor user info
    /// (user:password@), which always does (the scenario API refuses it; a scenario saved before may still hold it).
    /// </summary>
    private static string Shown(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    private static bool IsHttp(Uri uri) => uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps;

    /// <summary>
    /// What an error's excerpt of the answer must not show: the scenario's header values (and an Authorization value's
    /// credentials without their scheme) and its url's query values, which messages leave out for the same reason.
    /// </summary>
    private static IEnumerable<string> Secrets(IReadOnlyDictionary<string, string>? headers, Uri[] uris)
    {
        foreach (var value in headers?.Values ?? [])
        {
            yield return value;
            foreach (var part in value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                yield return part;
            }
        }
        foreach (var pair in uris.SelectMany(uri => uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)))
        {
            var value = pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..];
            yield return value;
            yield return Uri.UnescapeDataString(value.Replace('+', ' '));
        }
    }

    private static string Tries(int retries) => retries == 0 ? "" : $" on the last of {retries + 1} tries";

    /// <summary>
    /// What a try that is retried got, and when the next goes: "answered 500 Internal Server Error; trying again in
    /// 1.02 s (attempt 2 of 4)". Neither the answer's body nor its headers: only what the call's own messages show.
    /// </summary>
    /// <param name="attempt">The attempt about to be made, counted from 1.</param>
    /// <param name="attempts">How many attempts the call may make in all.</param>
    public static string Retrying(Outcome<HttpResponseMessage> outcome, TimeSpan delay, int attempt, int attempts)
    {
        var got = outcome switch
        {
            { Result: { } answer } => $"answered {(int)answer.StatusCode} {answer.ReasonPhrase}",
            { Exception: TimeoutRejectedException timeout } => $"timed out after {timeout.Timeout.TotalSeconds:0.###} s",
            { Exception: { } error } => $"failed: {error.Message.TrimEnd('.')}",
            _ => "failed",
        };
        return $"{got}; trying again in {delay.TotalSeconds:0.##} s (attempt {attempt} of {attempts}).";
    }

    private async Task<(HttpResponseMessage Response, int Retries)> SendOnceAsync(
        string what,
        string endpoint,
        HttpMethod method,
        Uri uri,
        IReadOnlyDictionary<string, string>? headers,
        string? accept,
        HttpContent? content,
        bool readBody,
        IConnectorLog log,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        request.Options.Set(BodyReadingHandler.ReadBody, readBody);
        // Before the pooled context is taken: headers whose values cannot be read throw here (UnreadableHeaders).
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            if (!request.Headers.TryAddWithoutValidation(name, value) && content is not null)
            {
                content.Headers.Remove(name);
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        if (accept is not null && !request.Headers.Contains("Accept"))
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }
        if (!request.Headers.Contains("User-Agent"))
        {
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        }
        // Our own context, to read back what the pipeline kept in it (RetriedAnswer).
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        request.SetResilienceContext(context);
        // Named as the call's messages name it, without the url's query: a retry is the run's business, not only the hub's.
        context.Properties.Set(RetryWarning, retrying => log.Warn($"{what}: {endpoint} {retrying}"));

        try
        {
            // A body the caller needs is read inside the resilience pipeline (BodyReadingHandler), not by HttpClient after it.
            var response = await clientFactory.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return (response, RetriesOf(context));
        }
        catch (ResponseTooLargeException ex)
        {
            throw new ConnectorException($"{what}: {endpoint} answered, but {ex.Message}.", retryable: false, ex);
        }
        catch (TimeoutRejectedException ex)
        {
            // The time may run out while waiting to retry an answer, or during the retry: say what the server answered.
            var answered = context.Properties.TryGetValue(RetriedAnswer, out var answer) ? $"; before that it answered {answer}" : "";
            throw new ConnectorException($"{what}: {endpoint} timed out after {ex.Timeout.TotalSeconds:0.###} s{Tries(RetriesOf(context))}{answered}.", retryable: true, ex);
        }
        catch (HttpRequestException ex) when (ex.InnerException is BlockedAddressException blocked)
        {
            throw new ConnectorException($"{what}: {endpoint} was not called: {blocked.Message}", retryable: false, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ConnectorException($"{what}: {endpoint} failed{Tries(RetriesOf(context))}: {ex.Message}", retryable: true, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConnectorException($"{what}: {endpoint} timed out.", retryable: true, ex);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested && context.Properties.TryGetValue(RetriedAnswer, out var answer))
        {
            // The run's own token (its timeoutSeconds, usually) ended the call while it waited to retry an answer, or
            // during the retry: the run's error says what the server last answered, as HttpTotalTimeout's does.
            throw new ConnectorInterruptedException(null, $"{endpoint} answered {answer}", ex, cancellationToken);
        }
        finally
        {
            // The request's disposal would dispose the content, which a 307 or 308 sends again.
            request.Content = null;
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static int RetriesOf(ResilienceContext context) => context.Properties.GetValue(Retries, 0);

    private static async Task<HttpResponseMessage> CheckedAsync(
        string what, string endpoint, int retries, HttpResponseMessage response, IEnumerable<string> secrets, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var status = response.StatusCode;
            var retryable = (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            // In memory already: BodyReadingHandler kept the start of the body of every failed answer.
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var said = ErrorAnswer.Excerpt(body, response.Content.Headers.ContentType, secrets) is { } excerpt ? $": {excerpt}" : ".";
            throw new ConnectorException($"{what}: {endpoint} answered {(int)status} {response.ReasonPhrase}{Tries(retries)}{said}", retryable);
        }
    }
}
