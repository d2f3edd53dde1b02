using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace IntegrationHub.Components;

/// <summary>
/// The confirmation a page shows after a change that redirected to it (Post/Redirect/Get: "Entry saved."), carried in
/// its address as <c>?message=</c>, protected. A plain text there let any link show words of its choosing as the
/// hub's own green confirmation ("Your account is locked. Call ..."); a protected one reads only as what the hub
/// wrote, and only for a few minutes, so a bookmarked address does not confirm the change again days later.
/// </summary>
internal sealed class FlashMessages(IDataProtectionProvider protection)
{
    public const string QueryName = "message";

    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly ITimeLimitedDataProtector _protector =
        protection.CreateProtector("IntegrationHub.Components.FlashMessages").ToTimeLimitedDataProtector();

    /// <summary><paramref name="path"/> (which may have a query) with <paramref name="message"/> to show there.</summary>
    public string Href(string path, string message) =>
        $"{path}{(path.Contains('?', StringComparison.Ordinal) ? '&' : '?')}{QueryName}={Uri.EscapeDataString(_protector.Protect(message, Lifetime))}";

    /// <summary>The message a <c>?message=</c> made by <see cref="Href"/> carries; null for anything else or an expired one.</summary>
    public string? Read(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        try
        {
            return _protector.Unprotect(value);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
