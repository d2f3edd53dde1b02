using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Secrets;

/// <summary>
/// The hub's master key (<c>Secrets:Key</c>, or the SQLite key file) and the subkeys derived from it with HKDF, one per
/// use: a value encrypted for one use can never be read as another's, and the master key itself encrypts nothing.
/// </summary>
internal sealed class SecretsKey
{
    /// <summary>Bytes in a key: AES-256.</summary>
    public const int Length = 32;

    /// <summary>How to make a key, for messages.</summary>
    public const string HowToGenerate = "openssl rand -base64 32";

    private readonly byte[] _key;

    private SecretsKey(byte[] key)
    {
        _key = key;
        Id = Convert.ToHexStringLower(Derive("IntegrationHub key id", 4));
    }

    /// <summary>
    /// A fingerprint of the key, safe to show and stored beside what it encrypts: a message can then say that a value was
    /// encrypted with another key, rather than only that it does not decrypt.
    /// </summary>
    public string Id { get; }

    /// <summary>A subkey for <paramref name="purpose"/> (HKDF-SHA256, RFC 5869).</summary>
    public byte[] Derive(string purpose, int length = Length) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, length, salt: [], info: Encoding.UTF8.GetBytes(purpose));

    public static SecretsKey CreateRandom() => new(RandomNumberGenerator.GetBytes(Length));

    /// <summary>The key as <c>Secrets:Key</c> and the key file hold it.</summary>
    public string ToBase64() => Convert.ToBase64String(_key);

    /// <summary>Reads a key in its text form; <paramref name="problem"/> says what is wrong with it, never the key itself.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out SecretsKey? key, [NotNullWhen(false)] out string? problem)
    {
        key = null;
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            problem = "it is not base64";
            return false;
        }
        if (bytes.Length != Length)
        {
            problem = $"it holds {bytes.Length} bytes";
            return false;
        }
        key = new SecretsKey(bytes);
        problem = null;
        return true;
    }

    /// <summary>What a key must be, with how to make one: the end of every message about a key.</summary>
    public static string Expected => $"a key is the base64 of {Length} random bytes (44 characters), made e.g. with `{HowToGenerate}`";
}
