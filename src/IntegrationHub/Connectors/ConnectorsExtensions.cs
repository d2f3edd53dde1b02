using System.Net;
using IntegrationHub.Connectors.Http;
using IntegrationHub.Connectors.None;
using IntegrationHub.Connectors.Storage;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Telemetry;

namespace IntegrationHub.Connectors;

internal static class ConnectorsExtensions
{
    /// <summary>Registers the connectors; a new connector is one class and one line here.</summary>
    public static WebApplicationBuilder AddConnectors(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConnectorsOptions>()
            .BindConfiguration(ConnectorsOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(
                options => BlockedNetworks.TryParse(options.HttpBlockedNetworks, out _),
                "Connectors:HttpBlockedNetworks must be CIDR ranges separated by commas, such as 169.254.0.0/16, fe80::/10.")
            .ValidateOnStart();

        builder.Services.AddSingleton<ISourceConnector, NoneSourceConnector>();
        builder.Services.AddSingleton<ISourceConnector, HttpSourceConnector>();
        builder.Services.AddSingleton<ISourceConnector, StorageSourceConnector>();
        builder.Services.AddSingleton<ITargetConnector, NoneTargetConnector>();
        builder.Services.AddSingleton<ITargetConnector, HttpTargetConnector>();
        builder.Services.AddSingleton<ITargetConnector, StorageTargetConnector>();
        builder.Services.AddSingleton<ConnectorRegistry>();

        builder.Services.AddSingleton<HttpConnectorClient>();
        // Validated at start (above).
        builder.Services.AddSingleton(services =>
            BlockedNetworks.TryParse(services.GetRequiredService<IOptions<ConnectorsOptions>>().Value.HttpBlockedNetworks, out var blocked)
                ? blocked
                : throw new InvalidOperationException("Connectors:HttpBlockedNetworks does not parse."));
        var client = builder.Services.AddHttpClient(HttpConnectorClient.ClientName)
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                ConnectCallback = services.GetRequiredService<BlockedNetworks>().ConnectAsync,
                // One handler serves every scenario of every workspace: a cookie kept from one scenario's call would
                // go out with another's. A scenario that needs a cookie sets the Cookie header itself.
                UseCookies = false,
                // HttpConnectorClient follows redirects itself, sending a scenario's headers to the url's origin only.
                AllowAutoRedirect = false,
                // Sources answer compressed when asked (and some when not): without this a gzipped answer was read as
                // its bytes and failed as "not valid UTF-8". Connectors:HttpMaxResponseBytes counts the decoded bytes.
                AutomaticDecompression = DecompressionMethods.All,
            })
            .ConfigureHttpClient(http =>
            {
                // The resilience pipeline and the run's token bound every call; HttpClient's own 100 s would cut across both.
                http.Timeout = Timeout.InfiniteTimeSpan;
            });
        client.AddResilienceHandler("connectors", (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<ConnectorsOptions>>().Value;
            // Outermost: the whole call, retries and waits included. Then retries. Innermost: one attempt, so a
            // hung attempt is cut off and retried instead of eating the whole budget. No circuit breaker: this
            // one client serves every scenario, and one failing endpoint must not open the circuit for the others.
            pipeline.AddTimeout(options.HttpTotalTimeout);
            if (options.HttpRetryAttempts > 0)
            {
                var retry = new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.HttpRetryAttempts,
                    Delay = options.HttpRetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    MaxDelay = options.HttpMaxRetryDelay,
                    // A blocked address stays blocked: no retry.
                    ShouldHandle = args => ValueTask.FromResult(
                        args.Outcome.Exception?.InnerException is not BlockedAddressException && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
                    // Kept for the message should the call time out before a later attempt answers (HttpConnectorClient),
                    // and told to the run's log: a call that succeeded on a later try left no trace of the earlier ones.
                    OnRetry = args =>
                    {
                        args.Context.Properties.Set(HttpConnectorClient.Retries, args.AttemptNumber + 1);
                        if (args.Outcome.Result is { } answer)
                        {
                            args.Context.Properties.Set(HttpConnectorClient.RetriedAnswer, $"{(int)answer.StatusCode} {answer.ReasonPhrase}");
                        }
                        if (args.Context.Properties.TryGetValue(HttpConnectorClient.RetryWarning, out var warn))
                        {
                            // AttemptNumber counts from 0 the attempt that failed.
                            warn(HttpConnectorClient.Retrying(args.Outcome, args.RetryDelay, args.AttemptNumber + 2, options.HttpRetryAttempts + 1));
                        }
                        return ValueTask.CompletedTask;
                    },
                };
                // Polly caps its own backoff at MaxDelay, but not the delay its Retry-After reading (the generator
                // ShouldRetryAfterHeader sets) asks for: Retry-After: 100 waited 100 s, past the total timeout.
                var retryAfter = retry.DelayGenerator!;
                retry.DelayGenerator = async args => await retryAfter(args) is { } asked
                    ? (asked < options.HttpMaxRetryDelay ? asked : options.HttpMaxRetryDelay)
                    : null;
                pipeline.AddRetry(retry);
            }
            pipeline.AddTimeout(options.HttpAttemptTimeout);
        });
        // Polly logs each retried attempt at Warning and a call that failed after its retries at Error, network errors
        // with their stack traces: an ordinary 503 from a customer's API paged whoever alerts on errors. The run's own
        // log holds every such failure already, so the connectors' events go to Debug (hidden by the Polly: Warning of
        // appsettings.json); other pipelines keep Polly's severities.
        builder.Services.Configure<TelemetryOptions>(telemetry =>
        {
            var other = telemetry.SeverityProvider;
            telemetry.SeverityProvider = args =>
                args.Source.PipelineName?.StartsWith(HttpConnectorClient.ClientName + "-", StringComparison.Ordinal) == true
                    ? ResilienceEventSeverity.Debug
                    : other?.Invoke(args) ?? args.Event.Severity;
        });
        // Added after the resilience handler, so inside it: a body is read within the attempt's and the call's timeouts.
        client.AddHttpMessageHandler(services =>
            new BodyReadingHandler(services.GetRequiredService<IOptions<ConnectorsOptions>>().Value.HttpMaxResponseBytes, services.GetRequiredService<TimeProvider>()));
        return builder;
    }
}
