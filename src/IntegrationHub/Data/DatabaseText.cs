using System.Text;

namespace IntegrationHub.Data;

/// <summary>
/// Text as every database column can hold it. A JavaScript string may hold an unpaired surrogate (a script's error
/// message such as <c>new Error('\ud800')</c>), which no UTF-8 text can: Npgsql refuses to send it, so the write of
/// the whole run's outcome would fail. Such a surrogate becomes U+FFFD, as any UTF-8 encoder would make it.
/// </summary>
internal static class DatabaseText
{
    public static string? Valid(string? text) =>
        text is null || text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0
            ? text
            : Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));
}
