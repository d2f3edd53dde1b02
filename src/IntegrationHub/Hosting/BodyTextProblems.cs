using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Hosting;

/// <summary>
/// The problems a request body's text is answered with (<see cref="BodyText"/>), the same from every endpoint that
/// decodes one: the trigger and the storage PUT.
/// </summary>
internal static class BodyTextProblems
{
    public static ProblemHttpResult UnsupportedCharset(string charset) => TypedResults.Problem(
        statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: "Unsupported charset",
        detail: $"The charset '{charset}' is not supported; send UTF-8 (the default), UTF-16, UTF-32, US-ASCII, ISO-8859-1 "
            + "or a legacy code page that writes ASCII as ASCII (windows-1252, ISO-8859-15, Shift_JIS...).");

    /// <summary>A body that is not valid text in its charset; <paramref name="error"/> from <see cref="BodyText.TryDecode"/>.</summary>
    public static ProblemHttpResult InvalidText(string error) => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest,
        title: "Invalid text",
        detail: $"The body is {error}.");
}
