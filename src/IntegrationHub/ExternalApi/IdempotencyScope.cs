using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Identity;

namespace IntegrationHub.ExternalApi;

/// <summary>
/// An <c>Idempotency-Key</c> as the queue keeps it: scoped to the caller who sent it, so that one caller's key never
/// answers another caller's trigger (with <c>?wait</c>, with the first run's result), and hashed, so that the caller's id
/// and a key of up to 200 characters fit the column together. (A posted run's stored request keeps its headers, the key
/// among them, for its script.)
/// </summary>
internal static class IdempotencyScope
{
    /// <summary>Triggers without credentials share one scope: anyone may send them.</summary>
    private const string Anonymous = "anonymous";

    /// <summary>The key <paramref name="key"/> of <paramref name="caller"/> (the request's principal), as the queue keeps it.</summary>
    public static string Key(ClaimsPrincipal caller, string key)
    {
        var scoped = Encoding.UTF8.GetBytes($"{ScopeOf(caller)}\n{key}");
        return Base64Url.EncodeToString(SHA256.HashData(scoped));
    }

    /// <summary>
    /// A hub user (token or cookie) by their id; an Azure AD caller, who has no hub user, by the token's tenant and
    /// object (an app or a person); anyone else shares the anonymous scope.
    /// </summary>
    private static string ScopeOf(ClaimsPrincipal caller)
    {
        if (HubCaller.From(caller) is not { } hub)
        {
            return Anonymous;
        }
        if (hub.UserId is { } userId)
        {
            return userId.ToString("N");
        }
        var subject = caller.FindFirstValue("oid") ?? caller.FindFirstValue("sub");
        return subject is null ? Anonymous : $"azuread:{caller.FindFirstValue("tid")}/{subject}";
    }
}
