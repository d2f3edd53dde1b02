using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;

namespace IntegrationHub.Tests.Identity;

public sealed class AzureAdAuthenticationTests
{
    [Theory, AllDatabases]
    public async Task Me_WithValidEntraToken_Returns200AsConfiguredRoleInDefaultWorkspace(DatabaseProvider provider)
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(provider, idp.HubSettings());
        using var admin = hub.CreateAdminClient();
        var defaultWorkspace = (await admin.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!.WorkspaceId;
        using var client = hub.CreateHttpClient(idp.CreateToken());

        var response = await client.GetAsync("/api/v1/me");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var me = (await response.Content.ReadFromJsonAsync<MeResponse>(TestJson.Options))!;
        Assert.Null(me.UserId);
        Assert.Equal("someone@contoso.test", me.Email);
        Assert.Equal(UserRole.Operator, me.Role);
        Assert.Equal(defaultWorkspace, me.WorkspaceId);
        Assert.False(me.IsInstallationAdmin);
    }

    public static TheoryData<string> Forgeries => ["alg none", "wrong key", "wrong issuer", "wrong audience", "expired", "garbage"];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Me_WithForgedEntraToken_Returns401(string forgery)
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, idp.HubSettings());
        using var otherKey = RSA.Create(2048);
        var token = forgery switch
        {
            "alg none" => idp.CreateUnsignedToken(),
            "wrong key" => idp.CreateToken(signWith: otherKey),
            "wrong issuer" => idp.CreateToken(issuer: $"{idp.Instance}some-other-tenant/v2.0"),
            "wrong audience" => idp.CreateToken(audience: "api://some-other-app"),
            "expired" => idp.CreateToken(expires: DateTime.UtcNow.AddMinutes(-10)),
            _ => "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
        };
        using var client = hub.CreateHttpClient(token);

        var response = await client.GetAsync("/api/v1/me");

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task Me_WithGroupConfigured_TokenWithoutGroupGets403_TokenWithGroupGets200(DatabaseProvider provider)
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(provider, idp.HubSettings(("AzureAd:Group", LocalIdentityProvider.Group)));
        using var outsider = hub.CreateHttpClient(idp.CreateToken(groups: ["another-group"]));
        using var noGroups = hub.CreateHttpClient(idp.CreateToken());
        using var member = hub.CreateHttpClient(idp.CreateToken(groups: ["another-group", LocalIdentityProvider.Group]));

        await IdentityTestClient.AssertProblemAsync(await outsider.GetAsync("/api/v1/me"), HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(await noGroups.GetAsync("/api/v1/me"), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await member.GetAsync("/api/v1/me")).StatusCode);
    }

    [Theory, AllDatabases]
    public async Task Accept_WithEntraToken_TriggersTheScenario_AndWithoutTheConfiguredGroupGets403(DatabaseProvider provider)
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(provider, idp.HubSettings(("AzureAd:Group", LocalIdentityProvider.Group)));
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var member = hub.CreateHttpClient(idp.CreateToken(groups: [LocalIdentityProvider.Group]));
        using var outsider = hub.CreateHttpClient(idp.CreateToken(groups: ["another-group"]));

        var accepted = await member.PostAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 1 }));
        var refused = await outsider.PostAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 2 }));

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Empty(await accepted.Content.ReadAsByteArrayAsync());
        var runId = Guid.Parse(accepted.Headers.GetValues("X-Run-Id").Single());
        await IdentityTestClient.AssertProblemAsync(refused, HttpStatusCode.Forbidden);
        Assert.Equal([runId], (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Select(r => r.Id));
    }

    [Fact]
    public async Task Accept_IdempotencyKeyOfAnEntraCaller_IsTheirOwn_NotSharedWithAnonymousCallersOrOtherApps()
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, idp.HubSettings());
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(anonymous: true));
        var app = idp.CreateToken(extraClaims: new Dictionary<string, object> { ["oid"] = "11111111-1111-1111-1111-111111111111" });
        var sameAppAgain = idp.CreateToken(extraClaims: new Dictionary<string, object> { ["oid"] = "11111111-1111-1111-1111-111111111111" });
        var otherApp = idp.CreateToken(extraClaims: new Dictionary<string, object> { ["oid"] = "22222222-2222-2222-2222-222222222222" });

        async Task<string> TriggerAsync(string? token)
        {
            using var client = token is null ? hub.CreateHttpClient() : hub.CreateHttpClient(token);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/ExternalData/Accept/{scenario.Id}") { Content = JsonContent.Create(new { id = 1 }) };
            request.Headers.Add("Idempotency-Key", "order-7");
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.GetValues("X-Run-Id").Single();
        }

        var first = await TriggerAsync(app);

        Assert.Equal(first, await TriggerAsync(sameAppAgain));
        Assert.NotEqual(first, await TriggerAsync(otherApp));
        Assert.NotEqual(first, await TriggerAsync(null));
    }

    /// <summary>
    /// Claims of the hub's own types, as a tenant's claims mapping could put them in a token it signs: another workspace,
    /// Admin, installation admin, another user's account and its password stamp (upper case too, as claim types are
    /// compared ignoring case).
    /// </summary>
    private static Dictionary<string, object> HubClaimsOfTheToken(Guid workspaceId, Guid userId) => new()
    {
        ["hub:workspace"] = workspaceId.ToString(),
        ["HUB:WORKSPACE"] = workspaceId.ToString(),
        ["http://schemas.microsoft.com/ws/2008/06/identity/claims/role"] = "Admin",
        ["hub:installation-admin"] = "true",
        ["hub:user"] = userId.ToString(),
        ["hub:password-stamp"] = "none",
        ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"] = HubHost.AdminEmail,
    };

    [Theory, AllDatabases]
    public async Task Me_WithEntraTokenCarryingHubClaims_ShowsTheConfiguredRoleAndWorkspace_NotTheTokens(DatabaseProvider provider)
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(provider, idp.HubSettings());
        using var admin = hub.CreateAdminClient();
        var adminMe = (await admin.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!;
        var other = await CreateWorkspaceAsync(admin);
        using var client = hub.CreateHttpClient(idp.CreateToken(extraClaims: HubClaimsOfTheToken(other, adminMe.UserId!.Value)));

        var me = (await client.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!;

        Assert.Null(me.UserId);
        Assert.Equal("someone@contoso.test", me.Email);
        Assert.Equal(UserRole.Operator, me.Role);
        Assert.Equal(adminMe.WorkspaceId, me.WorkspaceId);
        Assert.False(me.IsInstallationAdmin);
        await IdentityTestClient.AssertProblemAsync(await client.GetAsync("/api/v1/workspaces"), HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(await client.GetAsync("/api/v1/users"), HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(await client.GetAsync("/api/v1/me/tokens"), HttpStatusCode.Forbidden);
    }

    [Theory, AllDatabases]
    public async Task ScenarioOfAnotherWorkspace_WithEntraTokenNamingThatWorkspace_Returns404(DatabaseProvider provider)
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(provider, idp.HubSettings());
        using var admin = hub.CreateAdminClient();
        var other = await CreateWorkspaceAsync(admin);
        var otherAdmin = await admin.CreateUserAsync(UserRole.Admin, other);
        using var otherAdminClient = hub.CreateHttpClient(await hub.CreateTokenForAsync(otherAdmin.Email));
        var created = await otherAdminClient.PostAsJsonAsync("/api/v1/scenarios", ScenarioTestData.ScenarioJson(), TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var scenario = (await created.Content.ReadFromJsonAsync<ScenarioResponse>(TestJson.Options))!;
        using var client = hub.CreateHttpClient(idp.CreateToken(extraClaims: HubClaimsOfTheToken(other, otherAdmin.Id)));

        var trigger = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 1 }));
        var cacheData = await client.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}");
        var read = await client.GetAsync($"/api/v1/scenarios/{scenario.Id}");
        var storage = await client.GetAsync($"/api/v1/scenarios/{scenario.Id}/storage");

        await IdentityTestClient.AssertProblemAsync(trigger, HttpStatusCode.NotFound);
        await IdentityTestClient.AssertProblemAsync(cacheData, HttpStatusCode.NotFound);
        await IdentityTestClient.AssertProblemAsync(read, HttpStatusCode.NotFound);
        await IdentityTestClient.AssertProblemAsync(storage, HttpStatusCode.NotFound);
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task WithGroupConfigured_TokenWithoutGroupButCarryingHubClaims_Gets403(DatabaseProvider provider)
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(provider, idp.HubSettings(("AzureAd:Group", LocalIdentityProvider.Group)));
        using var admin = hub.CreateAdminClient();
        var adminMe = (await admin.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!;
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateHttpClient(idp.CreateToken(extraClaims: HubClaimsOfTheToken(adminMe.WorkspaceId, adminMe.UserId!.Value)));

        await IdentityTestClient.AssertProblemAsync(await client.GetAsync("/api/v1/me"), HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(await client.GetAsync("/api/v1/workspaces"), HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(await client.GetAsync($"/api/v1/scenarios/{scenario.Id}/storage"), HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(
            await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 1 })), HttpStatusCode.Forbidden);
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    private static async Task<Guid> CreateWorkspaceAsync(HttpClient installationAdmin)
    {
        var response = await installationAdmin.PostAsJsonAsync("/api/v1/workspaces", new CreateWorkspaceRequest("Other " + Guid.NewGuid().ToString("N")[..6]), TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<WorkspaceInfo>(TestJson.Options))!.Id;
    }

    [Theory, AllDatabases]
    public async Task ExternalApi_WithEntraTokenWithoutTheConfiguredGroup_Is403SayingTheGroupIsMissing_ForKnownAndUnknownScenariosAlike(DatabaseProvider provider)
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(provider, idp.HubSettings(("AzureAd:Group", LocalIdentityProvider.Group)));
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        var withoutTriggers = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(externalTriggers: false));
        using var outsider = hub.CreateHttpClient(idp.CreateToken(groups: ["another-group"]));
        var unknown = Guid.NewGuid();

        // Which scenarios exist is none of its business: the answer is about the token, not the id.
        foreach (var refused in new[]
        {
            await outsider.PostAsync($"/ExternalData/Accept/{unknown}", JsonContent.Create(new { id = 1 })),
            await outsider.GetAsync($"/ExternalData/Accept/{withoutTriggers.Id}"),
            await outsider.GetAsync($"/ExternalData/GetCacheData/{unknown}"),
            await outsider.PostAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 1 })),
            await outsider.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}"),
        })
        {
            var problem = await IdentityTestClient.ReadProblemAsync(refused, HttpStatusCode.Forbidden);
            Assert.Contains("lacks the group", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WithAzureAdConfigured_PersonalAccessTokensStillWork()
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, idp.HubSettings());
        using var client = hub.CreateAdminClient();

        var me = await client.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options);

        Assert.Equal(HubHost.AdminEmail, me!.Email);
    }

    [Fact]
    public async Task WithAzureAdWorkspaceAndRole_EntraCallerActsThere()
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        Guid workspaceId;
        await using (var setupHub = HubHost.Start(database))
        {
            using var admin = setupHub.CreateAdminClient();
            var response = await admin.PostAsJsonAsync("/api/v1/workspaces", new CreateWorkspaceRequest("Entra"), TestJson.Options);
            workspaceId = (await response.Content.ReadFromJsonAsync<WorkspaceInfo>(TestJson.Options))!.Id;
        }
        await using var hub = HubHost.Start(database, idp.HubSettings(("AzureAd:WorkspaceId", workspaceId.ToString()), ("AzureAd:Role", "Viewer")));
        using var client = hub.CreateHttpClient(idp.CreateToken());

        var me = await client.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options);

        Assert.Equal(workspaceId, me!.WorkspaceId);
        Assert.Equal(UserRole.Viewer, me.Role);
        await IdentityTestClient.AssertProblemAsync(await client.GetAsync("/api/v1/me/tokens"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Start_WithHttpInstanceOnNonLoopbackAddress_FailsWithClearMessage()
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureAd:Instance"] = "http://login.example.test/",
            ["AzureAd:TenantId"] = LocalIdentityProvider.TenantId,
            ["AzureAd:ClientId"] = LocalIdentityProvider.ClientId,
        };

        var failure = await Record.ExceptionAsync(async () => await (await HubHost.StartAsync(DatabaseProvider.Sqlite, settings)).DisposeAsync());

        Assert.NotNull(failure);
        Assert.Contains("non-loopback", Messages(failure), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithOnlyTenantId_FailsWithClearMessage()
    {
        var settings = new Dictionary<string, string?> { ["AzureAd:TenantId"] = LocalIdentityProvider.TenantId };

        var failure = await Record.ExceptionAsync(async () => await (await HubHost.StartAsync(DatabaseProvider.Sqlite, settings)).DisposeAsync());

        Assert.NotNull(failure);
        Assert.Contains("both TenantId and ClientId", Messages(failure), StringComparison.Ordinal);
    }

    private static string Messages(Exception exception)
    {
        var messages = new List<string>();
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }
        return string.Join(" | ", messages);
    }
}
