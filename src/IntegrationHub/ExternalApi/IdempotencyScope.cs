using System.Buffers;
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
/// <remarks>
/// Callers without credentials cannot be told apart, so for them the request is the scope: the same key with the same
/// request (a retry) is one trigger, while the same key with another body or query is another. Otherwise anyone who
/// guessed a sender's key (an order number, say) could get its run's result with <c>?wait</c>, or send it first and
/// have the real trigger answered with their run.
/// </remarks>
internal static class IdempotencyScope
{
    /// <summary>Triggers without credentials, before their request's fingerprint.</summary>
    private const string Anonymous = "anonymous";

    /// <summary>
    /// The key <paramref name="key"/> of <paramref name="caller"/> (the request's principal), as the queue keeps it;
    /// <paramref name="requestFingerprint"/> (<see cref="Fingerprint"/>) scopes it for callers without credentials.
    /// </summary>
    public static string Key(ClaimsPrincipal caller, string key, ReadOnlySpan<byte> requestFingerprint)
    {
        var scope = ScopeOf(caller) ?? $"{Anonymous}:{Convert.ToHexStringLower(requestFingerprint)}";
        var scoped = Encoding.UTF8.GetBytes($"{scope}\n{key}");
        return Base64Url.EncodeToString(SHA256.HashData(scoped));
    }

    /// <summary>True when <see cref="Key"/> needs the request's fingerprint: the caller has no credentials.</summary>
    public static bool NeedsFingerprint(ClaimsPrincipal caller) => ScopeOf(caller) is null;

    /// <summary>
    /// SHA-256 of what a trigger hands its script: the Content-Type, the query (but <c>wait</c>, which only says how
    /// to answer) and the body as sent. A GET trigger has neither body nor data of its own: its fingerprint is the same
    /// for every GET.
    /// </summary>
    public static byte[] Fingerprint(HttpRequest request, ReadOnlySequence<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (HttpMethods.IsPost(request.Method))
        {
            // Every part with its length before it, so that no two different requests run together into the same bytes
            // (?a=1&b=2 against ?a=1%26b%3D2, a newline moved from the query into the body).
            Append(hash, request.ContentType ?? "");
            // The query as the script sees it, by name, each value apart (?a=1&a=2 is not ?a=1,2); "wait" in any case.
            var query = request.Query.Where(p => !string.Equals(p.Key, "wait", StringComparison.OrdinalIgnoreCase)).ToList();
            Append(hash, query.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (name, values) in query)
            {
                Append(hash, name);
                Append(hash, values.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                foreach (var value in values)
                {
                    Append(hash, value ?? "");
                }
            }
            Append(hash, body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var segment in body)
            {
                hash.AppendData(segment.Span);
            }
        }
        return hash.GetHashAndReset();
    }

    private static void Append(IncrementalHash hash, string part)
    {
        var bytes = Encoding.UTF8.GetBytes(part);
        hash.AppendData(BitConverter.GetBytes(bytes.Length));
        hash.AppendData(bytes);
    }

    /// <summary>
    /// A hub user (token or cookie) by their id; an Azure AD caller, who has no hub user, by the token's tenant and
    /// object (an app or a person); null for a caller without credentials.
    /// </summary>
    private static string? ScopeOf(ClaimsPrincipal caller)
    {
        if (HubCaller.From(caller) is not { } hub)
        {
            return null;
        }
        if (hub.UserId is { } userId)
        {
            return userId.ToString("N");
        }
        var subject = caller.FindFirstValue("oid") ?? caller.FindFirstValue("sub");
        return subject is null ? null : $"azuread:{caller.FindFirstValue("tid")}/{subject}";
    }
}
