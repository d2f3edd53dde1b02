using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace IntegrationHub.Secrets;

/// <summary>
/// Decrypts what <see cref="KeyRingXmlEncryptor"/> encrypted. Data Protection finds this type by the name stored in
/// each key's XML and makes it through the constructor that takes the services, so the type keeps its name and
/// namespace. Keys stored before the hub encrypted them name no decryptor and are read as they are.
/// </summary>
internal sealed class KeyRingXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        var key = services.GetRequiredService<SecretsKey>();
        var keyId = (string?)encryptedElement.Attribute("keyId");
        // A key stored before the current Secrets:Key replaced its predecessor is read with that one.
        var decryptWith = keyId is not null && keyId != key.Id ? services.GetRequiredService<PreviousSecretsKeys>().Find(keyId) ?? key : key;
        byte[]? plaintext = null;
        try
        {
            plaintext = new SecretCipher(decryptWith.Derive(KeyRingXmlEncryptor.Purpose))
                .Decrypt(Convert.FromBase64String((string?)encryptedElement.Element("value") ?? ""));
        }
        catch (FormatException)
        {
            // Not base64: damaged, said below.
        }
        if (plaintext is null)
        {
            // Data Protection logs this and leaves the key out of the ring: cookies made with it are not accepted.
            throw new CryptographicException(keyId is not null && keyId != decryptWith.Id
                ? $"A Data Protection key in the database was encrypted with another Secrets:Key (key id {keyId}; this hub's is {key.Id}). "
                    + "Every node needs the same Secrets:Key; sign-in cookies made by nodes with the other key are not accepted here."
                : $"A Data Protection key in the database does not decrypt with the Secrets:Key it was encrypted with (key id {decryptWith.Id}): it is damaged.");
        }
        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }
}
