using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace IntegrationHub.Secrets;

/// <summary>
/// Encrypts a secret string kept in the database (a connector header's value) as
/// <c>ih-secret:v1:{key id}:{base64 of nonce, ciphertext, tag}</c>, with AES-256-GCM under an HKDF subkey of
/// <see cref="SecretsKey"/> of its own. AES-GCM directly rather than Data Protection's <c>IDataProtector</c>: those
/// payloads are bound to the key ring, which rotates, lives in the same database and is emptied to sign everyone out,
/// and a value that failed to decrypt would only say a key was not found in the ring. These depend on
/// <c>Secrets:Key</c> alone, what an operator backs up, and a failure can say the key differs.
/// </summary>
internal sealed class SecretValues(SecretsKey key, PreviousSecretsKeys previousKeys)
{
    /// <summary>The HKDF purpose of the values' subkey; changing it makes every stored value unreadable.</summary>
    public const string Purpose = "IntegrationHub.SecretValues.v1";

    public const string Prefix = "ih-secret:v1:";

    private readonly SecretCipher _cipher = new(key.Derive(Purpose));

    // Each value names the key it was encrypted with, so a value of a previous key is read with that key's subkey.
    private readonly Dictionary<string, SecretCipher> _previousCiphers =
        previousKeys.Keys.ToDictionary(k => k.Id, k => new SecretCipher(k.Derive(Purpose)));

    /// <summary>The stored form of <paramref name="value"/>; a new nonce each time, so equal values do not look equal.</summary>
    public string Encrypt(string value) =>
        $"{Prefix}{key.Id}:{Convert.ToBase64String(_cipher.Encrypt(Encoding.UTF8.GetBytes(value)))}";

    /// <summary>Whether <paramref name="stored"/> is encrypted, rather than plain text saved before values were.</summary>
    public static bool IsEncrypted(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="stored"/> was encrypted with one of <c>Secrets:PreviousKeys</c>.</summary>
    public bool IsOfAPreviousKey(string stored) =>
        IsEncrypted(stored) && KeyIdOf(stored.AsSpan(Prefix.Length)) is { Length: > 0 } keyId && _previousCiphers.ContainsKey(keyId);

    /// <summary>
    /// The value <paramref name="stored"/> holds: decrypted, or as it is when it was saved in plain text before values
    /// were encrypted. False, with <paramref name="problem"/> saying why, when it does not decrypt with this key.
    /// </summary>
    public bool TryDecrypt(string stored, [NotNullWhen(true)] out string? value, [NotNullWhen(false)] out string? problem)
    {
        if (!IsEncrypted(stored))
        {
            (value, problem) = (stored, null);
            return true;
        }
        var rest = stored.AsSpan(Prefix.Length);
        var keyId = KeyIdOf(rest);
        var cipher = keyId == key.Id ? _cipher : _previousCiphers.GetValueOrDefault(keyId);
        byte[]? plaintext = null;
        if (cipher is not null)
        {
            var bytes = new byte[rest.Length];
            if (Convert.TryFromBase64Chars(rest[(keyId.Length + 1)..], bytes, out var length))
            {
                plaintext = cipher.Decrypt(bytes.AsSpan(0, length));
            }
        }
        if (plaintext is null)
        {
            value = null;
            problem = cipher is null
                ? $"encrypted with another Secrets:Key (key id {keyId}; this hub's is {key.Id}{PreviousIds()})"
                : $"damaged: it does not decrypt with the key it was encrypted with (key id {keyId})";
            return false;
        }
        (value, problem) = (Encoding.UTF8.GetString(plaintext), null);
        return true;
    }

    // The fingerprint between the prefix and the next colon; empty when there is no colon.
    private static string KeyIdOf(ReadOnlySpan<char> rest) => rest.IndexOf(':') is >= 0 and var colon ? rest[..colon].ToString() : "";

    private string PreviousIds() =>
        _previousCiphers.Count == 0 ? "" : $", and of its Secrets:PreviousKeys {string.Join(", ", _previousCiphers.Keys)}";
}
