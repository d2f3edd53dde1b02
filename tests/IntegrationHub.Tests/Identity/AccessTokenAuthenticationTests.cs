using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Tests.Identity;

public sealed class AccessTokenAuthenticationTests
{
    [Theory, AllDatabases]
    public async Task Me_WithBootstrapAdminToken_ReturnsAdminOfDefaultWorkspace(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateAdminClient();

        var me = await client.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options);

        Assert.NotNull(me);
        Assert.Equal(HubHost.AdminEmail, me.Email);
        Assert.Equal(UserRole.Admin, me.Role);
        Assert.True(me.IsInstallationAdmin);
    }

    [Theory, AllDatabases]
    public async Task Me_WhenRecordingTheTokensLastUseFails_StillReturns200(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var token = await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer);
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            // Every write to the tokens fails, as it does while another writer holds SQLite's lock past the busy timeout.
            string[] statements = provider == DatabaseProvider.Sqlite
                ? ["CREATE TRIGGER refuse_token_writes BEFORE UPDATE ON AccessTokens BEGIN SELECT RAISE(ABORT, 'database is locked'); END"]
                : [
                    "CREATE FUNCTION refuse_token_writes() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'database is locked'; END $$ LANGUAGE plpgsql",
                    "CREATE TRIGGER refuse_token_writes BEFORE UPDATE ON \"AccessTokens\" FOR EACH ROW EXECUTE FUNCTION refuse_token_writes()",
                ];
            foreach (var sql in statements)
            {
                await db.Database.ExecuteSqlRawAsync(sql);
            }
        }
        using var client = hub.CreateHttpClient(token);

        var response = await client.GetAsync("/api/v1/me");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(UserRole.Viewer, (await response.Content.ReadFromJsonAsync<MeResponse>(TestJson.Options))!.Role);
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            Assert.Null((await db.AccessTokens.SingleAsync(t => t.Hash == AccessTokenFormat.Hash(token))).LastUsedAt);
        }
    }

    [Theory]
    [InlineData("bearer")]
    [InlineData("BEARER")]
    public async Task Me_SchemeNameIsCaseInsensitive(string scheme)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"{scheme} {HubHost.AdminToken}");

        var response = await client.GetAsync("/api/v1/me");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task Me_WithUnknownToken_Returns401ProblemWithChallenge(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateHttpClient(AccessTokenFormat.Generate());

        var response = await client.GetAsync("/api/v1/me");

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }

    // {token} stands for the admin's real token: a valid token in the wrong form must not count either.
    [Theory]
    [InlineData("Basic YTpi")]
    [InlineData("Token {token}")]
    [InlineData("{token}")]
    [InlineData("Bearer")]
    public async Task Trigger_WithUnrecognisedAuthorizationHeader_Returns401_EvenWhereAnonymousTriggersAreAllowed(string authorization)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(anonymous: true));
        using var client = hub.CreateHttpClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization.Replace("{token}", HubHost.AdminToken, StringComparison.Ordinal));

        var response = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}");

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer error=\"invalid_request\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory]
    [InlineData("Basic YTpi", "invalid_request")]
    [InlineData("Token {token}", "invalid_request")]
    [InlineData("{token}", "invalid_request")]
    [InlineData("Bearer", "invalid_request")]
    [InlineData("Bearer junk", "invalid_token")]
    public async Task Api_WithUnrecognisedAuthorizationHeader_Returns401NamingTheError(string authorization, string error)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization.Replace("{token}", HubHost.AdminToken, StringComparison.Ordinal));

        var response = await client.GetAsync("/api/v1/me");

        Assert.Equal($"Bearer error=\"{error}\"", response.Headers.WwwAuthenticate.ToString());
        var problem = await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    // A caller whose Accept leaves out JSON got a 500 with an empty body: the challenge insisted on writing a problem
    // that no writer would take.
    [Theory]
    [InlineData("/api/v1/scenarios", "application/xml")]
    [InlineData("/api/v1/scenarios", "text/html")]
    [InlineData("/scenarios", "application/xml")]
    public async Task WrongToken_WithAnAcceptThatLeavesOutJson_Returns401NotA500(string path, string accept)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient(AccessTokenFormat.Generate());
        client.DefaultRequestHeaders.Accept.ParseAdd(accept);

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory, AllDatabases]
    public async Task TokenPastItsExpiry_Gets401_OnTheApiAndOnTriggers(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        var created = (await (await admin.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("ERP", 1), TestJson.Options))
            .Content.ReadFromJsonAsync<CreatedAccessToken>(TestJson.Options))!;
        // The day has passed before the token is first used.
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            await db.AccessTokens.Where(t => t.Id == created.Info.Id)
                .ExecuteUpdateAsync(t => t.SetProperty(x => x.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        }
        using var client = hub.CreateHttpClient(created.Token);

        var me = await client.GetAsync("/api/v1/me");
        var trigger = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}");

        foreach (var response in new[] { me, trigger })
        {
            await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Fact]
    public async Task Me_WithoutCredentials_Returns401NotRedirect()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        var response = await client.GetAsync("/api/v1/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public void GeneratedTokens_Carry256BitsAndAreStoredOnlyAsHash()
    {
        var token = AccessTokenFormat.Generate();

        Assert.StartsWith(AccessTokenFormat.Marker, token, StringComparison.Ordinal);
        Assert.Equal(AccessTokenFormat.Marker.Length + 43, token.Length); // 32 bytes in base64url
        Assert.Equal(64, AccessTokenFormat.Hash(token).Length);
        Assert.DoesNotContain(token[AccessTokenFormat.Marker.Length..], AccessTokenFormat.Hash(token), StringComparison.Ordinal);
    }
}
