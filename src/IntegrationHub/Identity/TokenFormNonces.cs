using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;

namespace IntegrationHub.Identity;

/// <summary>
/// One-time values for the API Token page's create form. The page answers the POST itself (the new token exists nowhere
/// else to be shown from), so reloading that answer makes the browser send the form again; without this each reload
/// made another token. Each rendering of the form carries a fresh random value, and a value a user has sent once is
/// refused for <see cref="Remembered"/>. Remembered per node, in memory: a resubmission that a load balancer sends to
/// another node is not recognised, which costs a redundant token, nothing worse. The antiforgery token already proves
/// the post comes from the person's own page, so the value only has to be unique, not secret or signed.
/// </summary>
internal sealed class TokenFormNonces(IMemoryCache cache)
{
    /// <summary>How long a used value is refused: far longer than anyone keeps a page open before reloading it.</summary>
    public static readonly TimeSpan Remembered = TimeSpan.FromDays(1);

    private const int MaximumLength = 64;

    // Check and mark as one step, or two resubmissions at once could both pass.
    private readonly Lock _gate = new();

    /// <summary>A new value for a form about to be rendered: 128 random bits, base64url.</summary>
    public static string Create() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    /// <summary>True the first time <paramref name="userId"/> sends <paramref name="nonce"/>; false after, or without one.</summary>
    public bool TryUse(Guid userId, string? nonce)
    {
        if (string.IsNullOrEmpty(nonce) || nonce.Length > MaximumLength)
        {
            return false;
        }
        var key = $"token-form-nonce:{userId}:{nonce}";
        lock (_gate)
        {
            if (cache.TryGetValue(key, out _))
            {
                return false;
            }
            cache.Set(key, true, Remembered);
            return true;
        }
    }
}
