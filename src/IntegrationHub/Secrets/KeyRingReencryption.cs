using System.Security.Cryptography;
using System.Xml.Linq;
using IntegrationHub.Data;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Secrets;

/// <summary>
/// Re-encrypts the Data Protection keys that a previous <c>Secrets:Key</c> encrypted (<see cref="KeyRingXmlEncryptor"/>),
/// so that sign-in cookies made with them stay valid once the previous key is removed.
/// </summary>
internal sealed class KeyRingReencryption(
    IDbContextFactory<HubDbContext> dbFactory, SecretsKey key, PreviousSecretsKeys previousKeys, IServiceProvider services) : IReencryptsSecrets
{
    public string Secrets => "Data Protection keys (sign-in cookies)";

    public async Task<int> ReencryptAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var decryptor = new KeyRingXmlDecryptor(services);
        var encryptor = new KeyRingXmlEncryptor(key);
        var count = 0;
        foreach (var previous in previousKeys.Keys)
        {
            var marker = $"keyId=\"{previous.Id}\"";
            foreach (var stored in await db.DataProtectionKeys.Where(k => k.Xml != null && k.Xml.Contains(marker)).ToListAsync(cancellationToken))
            {
                var xml = XElement.Parse(stored.Xml!);
                var changed = false;
                foreach (var encrypted in xml.Descendants(KeyRingXmlEncryptor.ElementName).Where(e => (string?)e.Attribute("keyId") == previous.Id).ToList())
                {
                    try
                    {
                        encrypted.ReplaceWith(encryptor.Encrypt(decryptor.Decrypt(encrypted)).EncryptedElement);
                        changed = true;
                    }
                    catch (CryptographicException)
                    {
                        // Damaged: left as it is. Data Protection leaves it out of the ring when it loads it, and logs why.
                    }
                }
                if (changed)
                {
                    stored.Xml = xml.ToString(SaveOptions.DisableFormatting);
                    count++;
                }
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        return count;
    }
}
