using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Hosting;

/// <summary>
/// <c>charset="utf-8"</c> is the same parameter as <c>charset=utf-8</c> (RFC 9110, 5.6.6), but ASP.NET Core's JSON body
/// reading looks the charset up with its quotes and refused a quoted one with 415 ("'"utf-8"' is not a known
/// encoding"). A JSON request's charset is unquoted before any endpoint reads the body. Other media types are left as
/// they came: their readers (the trigger's, the storage PUT's) unquote it themselves.
/// </summary>
internal static class QuotedCharset
{
    public static IApplicationBuilder UseUnquotedJsonCharset(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var request = context.Request;
        if (request.ContentType is { } contentType && contentType.Contains('"', StringComparison.Ordinal)
            && MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            && mediaType.Charset is { Length: > 0 } charset && charset.StartsWith("\"", StringComparison.Ordinal)
            && request.HasJsonContentType())
        {
            mediaType.Charset = HeaderUtilities.RemoveQuotes(charset);
            request.ContentType = mediaType.ToString();
        }
        return next(context);
    });
}
