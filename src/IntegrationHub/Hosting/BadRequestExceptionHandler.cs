using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace IntegrationHub.Hosting;

/// <summary>
/// Answers exceptions that are about the request, not about the hub, with a 4xx problem instead of a 500:
/// <see cref="BadHttpRequestException"/> (a body over Kestrel's limit is 413, a malformed request 400), the form
/// reader's <see cref="InvalidDataException"/> (too many fields, a value too long: 400), a decompressor's (a body not
/// coded as its Content-Encoding says: 400), <see cref="UnsupportedContentCodingException"/> (a coding the hub does
/// not decode: 415) and the JSON reader's refusal of a charset it has no encoding for (415). Only exceptions thrown by
/// ASP.NET Core's own request readers, by System.IO.Compression or by <see cref="RequestContentCoding"/> qualify, so a
/// bug of ours that throws one of these types still leaves as a 500.
/// Minimal APIs throw their binding failures (a malformed JSON body, a query value of the wrong kind) as
/// BadHttpRequestException too (RouteHandlerOptions.ThrowOnBadRequest), so that they get a detail saying where.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems, ILogger<BadRequestExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // The middleware has cleared the request's endpoint by now; the feature keeps the one that threw.
        var endpoint = httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        var bodyType = endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        if (Describe(exception, bodyType) is not { } problem || httpContext.Response.HasStarted)
        {
            return false;
        }

        LogRejected(logger, problem.Status!.Value, problem.Detail!);
        httpContext.Response.StatusCode = problem.Status.Value;
        if (exception is UnsupportedContentCodingException unsupported)
        {
            httpContext.Response.Headers.AcceptEncoding = unsupported.AcceptEncoding;
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>The problem a request-caused exception stands for; null for anything else (a 500 then).</summary>
    /// <param name="bodyType">What the endpoint reads its JSON body as, to say what a value should have been.</param>
    internal static ProblemDetails? Describe(Exception exception, Type? bodyType) => exception switch
    {
        BadHttpRequestException bad when ThrownBy(bad, "Microsoft.AspNetCore.") || ThrownByCompiledRequestDelegate(bad) => new ProblemDetails
        {
            Status = bad.StatusCode,
            Title = bad.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "Request body too large",
                // Routing titles a Content-Type the endpoint does not take so; an empty one gets past it to the body binding.
                StatusCodes.Status415UnsupportedMediaType => "Unsupported Media Type",
                _ => "Bad request",
            },
            Detail = RequestErrorText.Describe(bad, bodyType),
        },
        InvalidDataException invalid when ThrownBy(invalid, "Microsoft.AspNetCore.WebUtilities", "Microsoft.AspNetCore.Http.Features") =>
            new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Malformed form",
                Detail = $"The form could not be read: {invalid.Message}",
            },
        // A body not coded as its Content-Encoding says, found as it is decoded while read (RequestContentCoding): the
        // gzip and deflate decoders throw InvalidDataException, Brotli's InvalidOperationException, and all three
        // InvalidDataException for a body cut short (strict validation, switched on in the project file).
        InvalidDataException or InvalidOperationException when ThrownBy(exception, "System.IO.Compression") => new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Malformed compressed body",
            Detail = $"The body could not be decompressed as its Content-Encoding says: {exception.Message}",
        },
        // ReadFromJsonAsync, and so minimal APIs' JSON body binding, with a charset .NET has no encoding for (an
        // ArgumentException) or one it knows but refuses: UTF-7, by any of its names (a NotSupportedException).
        InvalidOperationException { InnerException: ArgumentException or NotSupportedException } unknown when ThrownByType(unknown, "Microsoft.AspNetCore.Http.HttpRequestJsonExtensions") =>
            new ProblemDetails
            {
                Status = StatusCodes.Status415UnsupportedMediaType,
                Title = "Unsupported charset",
                Detail = $"{unknown.Message} Send JSON as UTF-8.",
            },
        UnsupportedContentCodingException unsupported => new ProblemDetails
        {
            Status = StatusCodes.Status415UnsupportedMediaType,
            Title = "Unsupported content encoding",
            Detail = unsupported.Message,
        },
        _ => null,
    };

    /// <summary>
    /// Whether the exception was thrown inside one of these namespaces (an async method's state machine reports its
    /// enclosing type's namespace). Without a stack trace nothing qualifies: unknown means a 500, never a hidden bug.
    /// </summary>
    private static bool ThrownBy(Exception exception, params string[] namespaces) =>
        exception.TargetSite?.DeclaringType?.Namespace is { } thrower
        && namespaces.Any(n => thrower.StartsWith(n, StringComparison.Ordinal));

    private static bool ThrownByType(Exception exception, string typeName) =>
        exception.TargetSite?.DeclaringType?.FullName == typeName;

    /// <summary>
    /// Minimal APIs compile each endpoint's parameter binding into an expression (a dynamic method, with no declaring
    /// type), which throws the binding failures. Code of ours always has a declaring type.
    /// </summary>
    private static bool ThrownByCompiledRequestDelegate(Exception exception) =>
        exception.StackTrace is not null && exception.TargetSite is { DeclaringType: null };

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a request with {Status}: {Detail}")]
    private static partial void LogRejected(ILogger logger, int status, string detail);
}
