using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Secrets;
using IntegrationHub.Tests.Connectors;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Tests.Secrets;

/// <summary>Replacing Secrets:Key with the old key in Secrets:PreviousKeys, as after a leak or when someone who knew it left.</summary>
public sealed class SecretsRotationTests
{
    private const string ApiKey = "target-api-key-5b1e";

    [Theory, AllDatabases]
    public async Task ANewKey_WithTheOldAsPrevious_ReencryptsHeaderValuesAndSignIns_SoTheOldKeyCanThenGo(DatabaseProvider provider)
    {
        await using var target = await LoopbackHttpServer.StartAsync((_, _) => (200, "{}"));
        var database = await TestDatabase.CreateAsync(provider);
        var (oldKey, newKey) = (TestDatabase.NewSecretsKey(), TestDatabase.NewSecretsKey());
        Guid scenarioId;
        string cookie;
        await using (var before = HubHost.Start(database, Keys(oldKey)))
        {
            scenarioId = (await ScenarioTestData.CreateScenarioAsync(before, ScenarioTestData.ScenarioJson(change: j =>
            {
                j["sourceScript"] = "return [{ id: 1 }];";
                j["target"] = new JsonObject { ["type"] = "http", ["url"] = target.Url("erp"), ["headers"] = new JsonObject { ["X-Api-Key"] = ApiKey } };
            }))).Id;
            cookie = await before.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        }

        await using (var rotating = HubHost.Start(database, Keys(newKey, previous: oldKey)))
        {
            using var browser = rotating.CreateCookieClient(cookie);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);
            var stored = await StoredSecretsAsync(rotating);
            Assert.DoesNotContain(KeyId(oldKey), stored, StringComparison.Ordinal);
            Assert.Contains($"{SecretValues.Prefix}{KeyId(newKey)}:", stored, StringComparison.Ordinal);
            Assert.Contains($"keyId=\"{KeyId(newKey)}\"", stored, StringComparison.Ordinal);
        }

        // The old key gone: the sign-in and the header value still work.
        await using var after = HubHost.Start(database, new Dictionary<string, string?> { ["Secrets:Key"] = newKey });
        using var signedIn = after.CreateCookieClient(cookie);
        Assert.Equal(HttpStatusCode.OK, (await signedIn.GetAsync("/api/v1/me")).StatusCode);
        using var admin = after.CreateAdminClient();
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/v1/scenarios/{scenarioId}/runs", null)).StatusCode);
        var run = Assert.Single(await RunsTestData.WaitForRunsAsync(after, scenarioId, 1, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, timeoutSeconds: 60));
        Assert.Equal((RunStatus.Succeeded, (string?)null), (run.Status, run.Error));
        Assert.Equal(ApiKey, Assert.Single(target.Received).Headers["X-Api-Key"]);
    }

    [Fact]
    public async Task Start_WithAPreviousKeyThatIsNotOne_ExitsWith1AndSaysWhich()
    {
        var hub = await HubProcess.RunUntilExitAsync(new Dictionary<string, string>
        {
            ["Secrets__Key"] = TestDatabase.NewSecretsKey(),
            ["Secrets__PreviousKeys__0"] = TestDatabase.NewSecretsKey(),
            ["Secrets__PreviousKeys__1"] = "not a key",
        });

        Assert.Equal(1, hub.ExitCode);
        Assert.Contains("IntegrationHub could not start: Secrets:PreviousKeys:1 is not a key: it is not base64", hub.Output, StringComparison.Ordinal);
    }

    /// <summary>Settings for a hub that runs nothing (the scenario runs only when the test says), with these keys.</summary>
    private static Dictionary<string, string?> Keys(string key, string? previous = null)
    {
        var settings = new Dictionary<string, string?>(RunsTestData.NoWorkers) { ["Secrets:Key"] = key };
        if (previous is not null)
        {
            settings["Secrets:PreviousKeys:0"] = previous;
        }
        return settings;
    }

    private static string KeyId(string key) => SecretsKey.TryParse(key, out var parsed, out _) ? parsed.Id : throw new ArgumentException(key);

    /// <summary>The scenarios' connector settings and the Data Protection keys, as SQL reads them.</summary>
    private static async Task<string> StoredSecretsAsync(HubHost hub)
    {
        await using var db = await RunsTestData.CreateDbAsync(hub);
        var scenarios = await db.Database.SqlQueryRaw<string>("""SELECT "Source" || ' ' || "Target" AS "Value" FROM "Scenarios" """).ToListAsync();
        var keys = await db.Database.SqlQueryRaw<string>("""SELECT "Xml" AS "Value" FROM "DataProtectionKeys" """).ToListAsync();
        return string.Join("\n", scenarios.Concat(keys));
    }
}
