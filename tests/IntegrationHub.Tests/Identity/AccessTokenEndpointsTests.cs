using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

public sealed class AccessTokenEndpointsTests
{
    [Theory, AllDatabases]
    public async Task CreateToken_Returns201WithTokenOnce_ThatAuthenticates_AndListShowsNoSecret(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();

        var response = await admin.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("CI pipeline", 30), TestJson.Options);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<CreatedAccessToken>(TestJson.Options))!;
        Assert.StartsWith(created.Info.Prefix, created.Token, StringComparison.Ordinal);
        Assert.NotNull(created.Info.ExpiresAt);
        using var withToken = hub.CreateHttpClient(created.Token);
        Assert.Equal(HttpStatusCode.OK, (await withToken.GetAsync("/api/v1/me")).StatusCode);

        var listJson = await admin.GetStringAsync("/api/v1/me/tokens");
        Assert.DoesNotContain(created.Token, listJson, StringComparison.Ordinal);
        Assert.DoesNotContain(AccessTokenFormat.Hash(created.Token), listJson, StringComparison.Ordinal);
        var list = JsonSerializer.Deserialize<List<AccessTokenInfo>>(listJson, TestJson.Options)!;
        var listed = Assert.Single(list, t => t.Id == created.Info.Id);
        Assert.Equal("CI pipeline", listed.Name);
        Assert.NotNull(Assert.Single(list, t => t.Name == "Bootstrap").LastUsedAt);
    }

    [Theory, AllDatabases]
    public async Task CreateToken_WithoutNameOrWithBadExpiry_Returns400(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();

        var noName = await admin.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest(" ", null), TestJson.Options);
        var badExpiry = await admin.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("x", 0), TestJson.Options);

        await IdentityTestClient.AssertValidationProblemAsync(noName, "name");
        await IdentityTestClient.AssertValidationProblemAsync(badExpiry, "expiresInDays");
    }

    // Names are how a user tells tokens apart on the token page, and which one to revoke when a system is retired.
    [Theory, AllDatabases]
    public async Task CreateToken_NamedAsALiveTokenOfTheUser_Returns400_WhileARevokedTokensNameIsFree(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var erp = await CreateAsync(admin, "ERP connector");

        var again = await admin.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest(" erp CONNECTOR ", 30), TestJson.Options);
        await IdentityTestClient.AssertValidationProblemAsync(again, "name");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/me/tokens/{erp.Info.Id}")).StatusCode);
        var afterRevoke = await CreateAsync(admin, "ERP connector");

        Assert.NotEqual(erp.Info.Id, afterRevoke.Info.Id);
        // Another user's names are theirs: the admin's "ERP connector" does not stop a colleague's.
        var colleague = await admin.CreateUserAsync(UserRole.Editor);
        using var colleagueClient = await hub.SignInAsync(colleague.Email);
        await CreateAsync(colleagueClient, "ERP connector");
    }

    [Theory, AllDatabases]
    public async Task RevokeToken_Returns204_AndLaterRequestsWithItGet401(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var created = await CreateAsync(admin, "to revoke");
        using var withToken = hub.CreateHttpClient(created.Token);
        Assert.Equal(HttpStatusCode.OK, (await withToken.GetAsync("/api/v1/me")).StatusCode); // now cached

        var response = await admin.DeleteAsync($"/api/v1/me/tokens/{created.Info.Id}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await IdentityTestClient.AssertProblemAsync(await withToken.GetAsync("/api/v1/me"), HttpStatusCode.Unauthorized);
        var list = await admin.GetFromJsonAsync<List<AccessTokenInfo>>("/api/v1/me/tokens", TestJson.Options);
        Assert.NotNull(Assert.Single(list!, t => t.Id == created.Info.Id).RevokedAt);
    }

    [Theory, AllDatabases]
    public async Task RegenerateToken_RevokesOldAndIssuesNewWithSameName(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var old = await CreateAsync(admin, "nightly import");
        using var withOld = hub.CreateHttpClient(old.Token);
        Assert.Equal(HttpStatusCode.OK, (await withOld.GetAsync("/api/v1/me")).StatusCode);

        var response = await admin.PostAsync($"/api/v1/me/tokens/{old.Info.Id}/regenerate", null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var fresh = (await response.Content.ReadFromJsonAsync<CreatedAccessToken>(TestJson.Options))!;
        Assert.Equal("nightly import", fresh.Info.Name);
        Assert.NotEqual(old.Token, fresh.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withOld.GetAsync("/api/v1/me")).StatusCode);
        using var withNew = hub.CreateHttpClient(fresh.Token);
        Assert.Equal(HttpStatusCode.OK, (await withNew.GetAsync("/api/v1/me")).StatusCode);
    }

    [Theory, AllDatabases]
    public async Task RegenerateToken_ManyTimesAtOnce_IssuesExactlyOneLiveToken(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var old = await CreateAsync(admin, "deploy");

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => admin.PostAsync($"/api/v1/me/tokens/{old.Info.Id}/regenerate", null)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        var list = await admin.GetFromJsonAsync<List<AccessTokenInfo>>("/api/v1/me/tokens", TestJson.Options);
        Assert.Single(list!, t => t.Name == "deploy" && t.RevokedAt is null);
    }

    [Theory, AllDatabases]
    public async Task RegenerateToken_ThatWasRevoked_Returns409AndIssuesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var old = await CreateAsync(admin, "leaked");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/me/tokens/{old.Info.Id}")).StatusCode);

        var response = await admin.PostAsync($"/api/v1/me/tokens/{old.Info.Id}/regenerate", null);

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Conflict);
        var list = await admin.GetFromJsonAsync<List<AccessTokenInfo>>("/api/v1/me/tokens", TestJson.Options);
        Assert.Single(list!, t => t.Name == "leaked");
    }

    [Theory, AllDatabases]
    public async Task CreatedToken_LocationAnswersWithItsMetadata_ToItsOwnerOnly(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("deploy", 7), TestJson.Options);
        var created = (await response.Content.ReadFromJsonAsync<CreatedAccessToken>(TestJson.Options))!;
        var user = await admin.CreateUserAsync(UserRole.Editor);
        using var other = hub.CreateHttpClient(await hub.CreateTokenForAsync(user.Email));

        var got = await admin.GetAsync(response.Headers.Location);
        var asOther = await other.GetAsync(response.Headers.Location);

        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        var json = await got.Content.ReadAsStringAsync();
        Assert.Equal(created.Info, JsonSerializer.Deserialize<AccessTokenInfo>(json, TestJson.Options));
        Assert.DoesNotContain(created.Token, json, StringComparison.Ordinal);
        await IdentityTestClient.AssertProblemAsync(asOther, HttpStatusCode.NotFound);
    }

    [Theory, AllDatabases]
    public async Task TokenOfAnotherUser_Returns404ForRevokeAndRegenerate_AndStaysValid(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var adminToken = await CreateAsync(admin, "admin's");
        var user = await admin.CreateUserAsync(UserRole.Editor);
        using var other = hub.CreateHttpClient(await hub.CreateTokenForAsync(user.Email));

        var revoke = await other.DeleteAsync($"/api/v1/me/tokens/{adminToken.Info.Id}");
        var regenerate = await other.PostAsync($"/api/v1/me/tokens/{adminToken.Info.Id}/regenerate", null);
        var list = await other.GetFromJsonAsync<List<AccessTokenInfo>>("/api/v1/me/tokens", TestJson.Options);

        await IdentityTestClient.AssertProblemAsync(revoke, HttpStatusCode.NotFound);
        await IdentityTestClient.AssertProblemAsync(regenerate, HttpStatusCode.NotFound);
        Assert.DoesNotContain(list!, t => t.Id == adminToken.Info.Id);
        using var withAdminToken = hub.CreateHttpClient(adminToken.Token);
        Assert.Equal(HttpStatusCode.OK, (await withAdminToken.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task Tokens_WithoutCredentials_Returns401()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        await IdentityTestClient.AssertProblemAsync(await client.GetAsync("/api/v1/me/tokens"), HttpStatusCode.Unauthorized);
        await IdentityTestClient.AssertProblemAsync(
            await client.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("x", null), TestJson.Options), HttpStatusCode.Unauthorized);
    }

    [Theory, AllDatabases]
    public async Task TokenThatExpires_CreatesAndRegeneratesOnlyTokensThatExpireNoLater(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var shortResponse = await admin.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("short", 2), TestJson.Options);
        var shortLived = (await shortResponse.Content.ReadFromJsonAsync<CreatedAccessToken>(TestJson.Options))!;
        var forever = await CreateAsync(admin, "forever");
        using var withShort = hub.CreateHttpClient(shortLived.Token);

        var withoutExpiry = await withShort.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("forever too", null), TestJson.Options);
        var later = await withShort.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("later", 3), TestJson.Options);
        var regenerated = await withShort.PostAsync($"/api/v1/me/tokens/{forever.Info.Id}/regenerate", null);
        var sooner = await withShort.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("sooner", 1), TestJson.Options);

        await IdentityTestClient.AssertValidationProblemAsync(withoutExpiry, "expiresInDays");
        await IdentityTestClient.AssertValidationProblemAsync(later, "expiresInDays");
        await IdentityTestClient.AssertValidationProblemAsync(regenerated, "expiresInDays");
        Assert.Equal(HttpStatusCode.Created, sooner.StatusCode);
        Assert.True((await sooner.Content.ReadFromJsonAsync<CreatedAccessToken>(TestJson.Options))!.Info.ExpiresAt <= shortLived.Info.ExpiresAt);
        using var withForever = hub.CreateHttpClient(forever.Token);
        Assert.Equal(HttpStatusCode.OK, (await withForever.GetAsync("/api/v1/me")).StatusCode);
        // Signed in with the password, the person is not limited.
        using var browser = hub.CreateCookieClient(await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword));
        var fromCookie = await browser.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("from the browser", null), TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, fromCookie.StatusCode);
    }

    private static async Task<CreatedAccessToken> CreateAsync(HttpClient client, string name)
    {
        var response = await client.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest(name, null), TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CreatedAccessToken>(TestJson.Options))!;
    }
}
