using System.Text;
using System.Net.Http.Headers;

namespace IntegrationHub.Connectors.Http;

/// <summary>
/// The start of a failed answer's body, as a run's error shows it after the status: an API says why it refused a record
/// (<c>{"detail":"email is required"}</c>) in the body, and the status alone ("400 Bad Request") left the user to find
/// out with curl. Only text that reads as a message is kept: JSON, XML and plain text, not HTML pages (a framework's
/// error page is markup around the status the message shows already) nor binary bodies.
/// </summary>
internal static class ErrorAnswer
{
    /// <summary>
    /// How much of a failed answer's body is kept; one byte more is read, to tell a body that is longer, and the rest
    /// is not downloaded.
    /// </summary>
    public const int MaxBytes = 4096;

    /// <summary>How many characters of it a message shows.</summary>
    public const int MaxChars = 1000;

    /// <summary>
    /// The body's text on one line, without <paramref name="secrets"/>, cut at <see cref="MaxChars"/>; null when it is
    /// empty or not a message (HTML, binary). <paramref name="body"/>: what was read of it, at most
    /// <see cref="MaxBytes"/> + 1 bytes.
    /// </summary>
    public static string? Excerpt(byte[] body, MediaTypeHeaderValue? contentType, IEnumerable<string> secrets)
    {
        var mediaType = contentType?.MediaType?.ToLowerInvariant() ?? "";
        var readable = mediaType is "" or "application/json" or "application/xml" or "text/xml"
            || mediaType.EndsWith("+json", StringComparison.Ordinal)
            || mediaType.EndsWith("+xml", StringComparison.Ordinal)
            || (mediaType.StartsWith("text/", StringComparison.Ordinal) && mediaType != "text/html");
        if (!readable)
        {
            return null;
        }

        // Lossy: a byte not valid in the charset shows as U+FFFD, as this is only shown; a cut may split a character.
        var complete = body.Length <= MaxBytes;
        var text = Decode(complete ? body : body[..MaxBytes], contentType?.CharSet);
        var line = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            // Line breaks and indentation of pretty-printed JSON become one space; other control characters go, so that
            // the message stays one line of plain text (NUL could not be stored on PostgreSQL at all).
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                space = line.Length > 0;
                continue;
            }
            if (space)
            {
                line.Append(' ');
                space = false;
            }
            line.Append(c);
        }

        var excerpt = line.ToString().TrimEnd('\uFFFD');
        if (excerpt.Length == 0 || LooksLikeHtml(excerpt))
        {
            return null;
        }
        // Before the cut, so that no part of a secret is left at the end. A server that echoes the request in its
        // error (a gateway's debug answer) would otherwise put the scenario's API key into the run's error, which every
        // viewer of the run reads. Longest first, so that a value containing another is replaced whole.
        foreach (var secret in secrets.Where(s => s.Length >= MinSecretLength).Distinct().OrderByDescending(s => s.Length))
        {
            excerpt = excerpt.Replace(secret, "***", StringComparison.Ordinal);
        }
        return excerpt.Length > MaxChars || !complete ? excerpt[..Math.Min(excerpt.Length, MaxChars)] + "…" : excerpt;
    }

    /// <summary>Shorter values are words the answer uses on its own account ("Bearer", "json"), not secrets.</summary>
    private const int MinSecretLength = 8;

    private static bool LooksLikeHtml(string text) =>
        text.StartsWith("<!doctype html", StringComparison.OrdinalIgnoreCase) || text.StartsWith("<html", StringComparison.OrdinalIgnoreCase);

    private static string Decode(byte[] body, string? charset)
    {
        var encoding = Encoding.UTF8;
        if (!string.IsNullOrEmpty(charset))
        {
            try
            {
                encoding = Encoding.GetEncoding(charset.Trim('"'));
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                // An unknown charset: UTF-8 shows ASCII text right, which most error messages are.
            }
        }
        var text = encoding.GetString(body);
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }
}
