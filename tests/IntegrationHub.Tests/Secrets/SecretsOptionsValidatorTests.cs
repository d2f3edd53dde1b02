using System.Security.Cryptography;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Secrets;

/// <summary>Secrets:Key is checked with the other settings, before the database is touched.</summary>
public sealed class SecretsOptionsValidatorTests
{
    [Fact]
    public async Task Start_OnPostgresWithoutAKey_ExitsWith1AndSaysHowToSetOne()
    {
        // Never reached: the key is checked first.
        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Hub"] = $"Host=127.0.0.1;Port={HubProcess.FreePort()};Database=hub;Username=hub;Timeout=5",
            ["Secrets__Key"] = "",
        });

        AssertOneMessage(hub, "Secrets:Key is not set, and on PostgreSQL the hub makes no key of its own");
        Assert.Contains("openssl rand -base64 32", hub.Output, StringComparison.Ordinal);
        Assert.Contains("give every node that value as Secrets__Key", hub.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16, "Secrets:Key is not a key: it holds 16 bytes")]
    [InlineData(64, "Secrets:Key is not a key: it holds 64 bytes")]
    [InlineData(0, "Secrets:Key is not a key: it is not base64")]
    public async Task Start_WithAKeyThatIsNotOne_ExitsWith1AndSaysWhy_BeforeTouchingTheDatabase(int bytes, string message)
    {
        var key = bytes == 0 ? "correct horse battery staple" : Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes));

        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string> { ["Secrets__Key"] = key });

        AssertOneMessage(hub, message);
        Assert.Contains("the base64 of 32 random bytes", hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(key, hub.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(hub.Folder));
    }

    private static void AssertOneMessage(HubProcess.ExitedHub hub, string expected)
    {
        Assert.Equal(1, hub.ExitCode);
        Assert.Contains($"IntegrationHub could not start: {expected}", hub.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", hub.Output, StringComparison.Ordinal);
    }
}
