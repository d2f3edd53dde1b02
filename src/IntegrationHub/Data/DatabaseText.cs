using System.Buffers;
using System.Text;

namespace IntegrationHub.Data;

/// <summary>
/// Text as every database column can hold it. A JavaScript string may hold an unpaired surrogate (a script's error
/// message such as <c>new Error('\ud800')</c>), which no UTF-8 text can: Npgsql refuses to send it, so the write of
/// the whole run's outcome would fail. Such a surrogate becomes U+FFFD, as any UTF-8 encoder would make it. So does
/// U+0000 (NUL, <c>new Error('\0')</c>), which PostgreSQL's text cannot hold.
/// </summary>
internal static class DatabaseText
{
    private static readonly SearchValues<char> Unstorable = SearchValues.Create(
        ['\0', .. Enumerable.Range(0xD800, 0xDFFF - 0xD800 + 1).Select(c => (char)c)]);

    public static string? Valid(string? text) =>
        text is null || text.AsSpan().IndexOfAny(Unstorable) < 0
            ? text
            : Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)).Replace('\0', '\uFFFD');
}
