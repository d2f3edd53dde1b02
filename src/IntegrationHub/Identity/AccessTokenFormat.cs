using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Identity;

/// <summary>
/// Personal access tokens: <c>ih_</c> followed by 256 random bits in base64url. Only the SHA-256 of a token is
/// stored; a fast hash is right here because the token carries 256 bits of entropy, unlike a password.
/// </summary>
internal static class AccessTokenFormat
{
    public const string Marker = "ih_";
    public const int PrefixLength = 8;

    /// <summary>Tokens provisioned by configuration must be at least this long.</summary>
    public const int MinimumProvisionedLength = 32;

    public static string Generate() => Marker + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>What lists show so a user can tell tokens apart without revealing them.</summary>
    public static string Prefix(string token) => token[..Math.Min(PrefixLength, token.Length)];

    /// <summary>Compares two hashes without leaking, through timing, how much of them matched.</summary>
    public static bool HashesEqual(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(a.AsSpan()), MemoryMarshal.AsBytes(b.AsSpan()));
}
