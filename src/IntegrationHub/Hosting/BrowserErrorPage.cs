using System.Net;

namespace IntegrationHub.Hosting;

/// <summary>
/// A browser that lands on an error gets a page it can read, with a way back: a bare 404 was the text
/// "Status Code: 404; Not Found", and a page's form posted twice or from a stale page (its entry deleted meanwhile, the
/// session changed) an empty 400 that the browser shows as "This page isn't working". Only for requests that ask for
/// HTML and answers that wrote nothing yet, outside the API's addresses; API clients keep their problem details (UseStatusCodePages, outside this).
/// </summary>
internal static class BrowserErrorPage
{
    public static IApplicationBuilder UseBrowserErrorPages(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        await next(context);
        var response = context.Response;
        if (response.StatusCode < 400 || response.HasStarted || response.ContentLength > 0 || !WantsHtml(context.Request))
        {
            return;
        }

        var (title, text) = Describe(response.StatusCode);
        // A stale form's way back is its own page as it is now: the request's path, a local address by construction.
        var (back, backText) = response.StatusCode == StatusCodes.Status400BadRequest && HttpMethods.IsPost(context.Request.Method)
            ? (context.Request.PathBase + context.Request.Path + context.Request.QueryString, "Open the page again")
            : ("/", "Go to the scenarios");
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = null;
        await response.WriteAsync(Render(title, text, back, backText), context.RequestAborted);
    });

    // The API's errors are problem details whatever the Accept (ApiProblemWriter): a browser opening /api/v1/... gets JSON.
    private static bool WantsHtml(HttpRequest request) =>
        !ApiProblemWriter.IsApi(request)
        && (HttpMethods.IsGet(request.Method) || HttpMethods.IsPost(request.Method))
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    private static (string Title, string Text) Describe(int status) => status switch
    {
        StatusCodes.Status400BadRequest => ("The form could not be sent",
            "The page changed since you opened it (what the button was for was changed or deleted meanwhile), or your sign-in did (in another tab, say). Nothing was done. Open the page again to see it as it is now."),
        StatusCodes.Status403Forbidden => ("Not allowed", "Your role does not allow this."),
        StatusCodes.Status404NotFound => ("Page not found", "There is nothing at this address."),
        StatusCodes.Status405MethodNotAllowed => ("Not here", "This address does not take that kind of request."),
        StatusCodes.Status413PayloadTooLarge => ("Too large", "What was sent is larger than the hub takes."),
        _ => ("Something went wrong", $"The hub answered {status} {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)}."),
    };

    private static string Render(string title, string text, string back, string backText) =>
        $"""
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{WebUtility.HtmlEncode(title)} · IntegrationHub</title><link rel="stylesheet" href="/app.css" /></head>
        <body><main id="main" class="page"><div class="card">
        <h1>{WebUtility.HtmlEncode(title)}</h1>
        <p>{WebUtility.HtmlEncode(text)}</p>
        <p><a class="btn btn-primary" href="{WebUtility.HtmlEncode(back)}">{WebUtility.HtmlEncode(backText)}</a></p>
        </div></main></body>
        </html>
        """;
}
