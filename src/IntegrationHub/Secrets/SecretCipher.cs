using System.Security.Cryptography;

namespace IntegrationHub.Secrets;

/// <summary>
/// AES-256-GCM under one subkey of <see cref="SecretsKey"/>: a random 96-bit nonce per value, stored with it as
/// nonce, ciphertext, tag. GCM's tag makes a wrong key or an altered value fail to decrypt instead of giving garbage.
/// </summary>
internal sealed class SecretCipher(byte[] key)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext)
    {
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        // An instance per call: AesGcm is not documented as safe to share between threads, and values are encrypted on
        // saves and decrypted once per scenario version, not on a hot path.
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length));
        return sealedBytes;
    }

    /// <summary>The plaintext, or null when <paramref name="sealedBytes"/> was not encrypted with this key or was altered.</summary>
    public byte[]? Decrypt(ReadOnlySpan<byte> sealedBytes)
    {
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            return null;
        }
        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(sealedBytes[..NonceSize], sealedBytes[NonceSize..^TagSize], sealedBytes[^TagSize..], plaintext);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}
