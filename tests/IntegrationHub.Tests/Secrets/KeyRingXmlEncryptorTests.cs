using System.Net;
using System.Xml.Linq;
using IntegrationHub.Data;
using IntegrationHub.Secrets;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Tests.Secrets;

/// <summary>The Data Protection key ring (what sign-in cookies are made with), encrypted in the database with Secrets:Key.</summary>
public sealed class KeyRingXmlEncryptorTests
{
    [Theory, AllDatabases]
    public async Task TheKeyRing_IsNotInTheDatabaseInPlainText(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);

        var keys = await StoredKeysAsync(hub);

        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            // Data Protection writes a key it may not encrypt as <masterKey>, its secret in the clear beside it.
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
            Assert.Contains(typeof(KeyRingXmlDecryptor).FullName!, xml, StringComparison.Ordinal);
        });
    }

    [Theory, AllDatabases]
    public async Task KeysStoredUnencryptedBefore_AreStillRead_SoTheirCookiesStillSignIn(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateAsync(provider);
        string cookie;
        await using (var before = HubHost.Start(database, RunsTestData.NoWorkers))
        {
            cookie = await before.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
            await DecryptStoredKeysAsync(before);
        }

        await using var after = HubHost.Start(database, RunsTestData.NoWorkers);
        using var browser = after.CreateCookieClient(cookie);

        Assert.Contains(await StoredKeysAsync(after), xml => xml.Contains("<masterKey", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task ACookie_IsAcceptedByANodeWithTheSameKey_AndNotByOneWithAnother()
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var first = HubHost.Start(database, RunsTestData.NoWorkers);
        var cookie = await first.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        await using var same = HubHost.Start(database, RunsTestData.NoWorkers);
        await using var other = HubHost.Start(database, new Dictionary<string, string?>(RunsTestData.NoWorkers) { ["Secrets:Key"] = TestDatabase.NewSecretsKey() });

        using var sameBrowser = same.CreateCookieClient(cookie);
        using var otherBrowser = other.CreateCookieClient(cookie);

        Assert.Equal(HttpStatusCode.OK, (await sameBrowser.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await otherBrowser.GetAsync("/api/v1/me")).StatusCode);
    }

    private static async Task<List<string>> StoredKeysAsync(HubHost hub)
    {
        await using var db = await RunsTestData.CreateDbAsync(hub);
        return await db.Database.SqlQueryRaw<string>("""SELECT "Xml" AS "Value" FROM "DataProtectionKeys" """).ToListAsync();
    }

    /// <summary>Makes the stored keys what a hub before Secrets:Key wrote: the decrypted element in place of the encrypted one.</summary>
    private static async Task DecryptStoredKeysAsync(HubHost hub)
    {
        XNamespace dataProtection = "http://schemas.asp.net/2015/03/dataProtection";
        await using var db = await RunsTestData.CreateDbAsync(hub);
        var keys = await db.DataProtectionKeys.ToListAsync();
        Assert.NotEmpty(keys);
        foreach (var key in keys)
        {
            var xml = XElement.Parse(key.Xml!);
            var encrypted = xml.Descendants(dataProtection + "encryptedSecret").Single();
            encrypted.ReplaceWith(new KeyRingXmlDecryptor(hub.Services).Decrypt(encrypted.Elements().Single()));
            key.Xml = xml.ToString(SaveOptions.DisableFormatting);
        }
        await db.SaveChangesAsync();
    }
}
