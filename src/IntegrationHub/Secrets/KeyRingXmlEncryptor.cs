using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace IntegrationHub.Secrets;

/// <summary>
/// Encrypts the Data Protection key ring's keys with a subkey of <see cref="SecretsKey"/> before they are stored in
/// the database: whoever reads the database (a backup) without the key cannot read a key, and so cannot make a sign-in
/// cookie or read one.
/// </summary>
internal sealed class KeyRingXmlEncryptor(SecretsKey key) : IXmlEncryptor
{
    /// <summary>The HKDF purpose of the key ring's subkey; changing it makes every stored key unreadable.</summary>
    public const string Purpose = "IntegrationHub.DataProtectionKeyRing.v1";

    public const string ElementName = "encryptedWithSecretsKey";

    private readonly SecretCipher _cipher = new(key.Derive(Purpose));

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var element = new XElement(ElementName,
            new XAttribute("keyId", key.Id),
            new XComment(" Encrypted with the hub's Secrets:Key (AES-256-GCM, an HKDF subkey). "),
            new XElement("value", Convert.ToBase64String(_cipher.Encrypt(plaintext))));
        return new EncryptedXmlInfo(element, typeof(KeyRingXmlDecryptor));
    }
}
