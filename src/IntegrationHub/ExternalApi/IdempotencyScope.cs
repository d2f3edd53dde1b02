using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.ExternalApi;

/// <summary>
/// An <c>Idempotency-Key</c> as the queue keeps it: scoped to the caller who sent it, so that one caller's key never
/// answers another caller's trigger (with <c>?wait</c>, with the first run's result), and hashed, so that the caller's id
/// and a key of up to 200 characters fit the column together, and a key made of business data (an order number) is
/// not kept in the clear.
/// </summary>
internal static class IdempotencyScope
{
    /// <summary>Triggers without credentials share one scope: anyone may send them.</summary>
    private const string Anonymous = "anonymous";

    public static string Key(Guid? callerId, string key)
    {
        var scoped = Encoding.UTF8.GetBytes($"{callerId?.ToString("N") ?? Anonymous}\n{key}");
        return Base64Url.EncodeToString(SHA256.HashData(scoped));
    }
}
